import { randomBytes } from 'node:crypto';
import { type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../../src/adapters/dynamodb/client.ts';
import type { DynamoDbStore } from '../../../src/adapters/dynamodb/index.ts';
import { queueKey } from '../../../src/adapters/dynamodb/keys.ts';
import { marksTime, TIME_MARKER_OFFSETS } from '../../../src/adapters/dynamodb/reservation.ts';
import { INDEXES, tableNames } from '../../../src/adapters/dynamodb/table-definitions.ts';
import type { MessageToAppend } from '../../../src/core/model.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

/**
 * The sparse time index (`by-queue-time`): a marker on the reservation that holds each
 * multiple of 128 offsets, so a time lookup reads about 128 messages forward at most
 * whatever the queue's rate, and a marker costs 1/128 write unit per message.
 */
describe('time markers', () => {
  it('mark a range that holds a multiple of the marker spacing, and only such ranges', () => {
    expect(TIME_MARKER_OFFSETS).toBe(128);
    expect(marksTime(0, 1)).toBe(true);
    expect(marksTime(1, 127)).toBe(false);
    expect(marksTime(1, 128)).toBe(true);
    expect(marksTime(127, 1)).toBe(false);
    expect(marksTime(128, 1)).toBe(true);
    expect(marksTime(100, 32)).toBe(true);
    expect(marksTime(129, 32)).toBe(false);
  });
});

describe('time lookups on DynamoDB Local', () => {
  let aws: LocalAws;
  let store: DynamoDbStore;
  let prefix: string;
  let raw: DynamoDBClient;
  beforeAll(async () => {
    aws = await startLocalAws();
    prefix = `tm${randomBytes(3).toString('hex')}`;
    store = await aws.openStore({ tablePrefix: prefix });
    raw = createDynamoClient({ endpoint: aws.dynamo.endpoint, region: 'us-east-1' });
  });
  afterAll(async () => {
    raw?.destroy();
    await aws?.stop();
  });

  function message(topic: string, storeTimestamp: number): MessageToAppend {
    return {
      msgId: `${storeTimestamp.toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`.toUpperCase(),
      topic,
      queueId: 0,
      body: new Uint8Array(randomBytes(64)),
      keys: [],
      properties: {},
      bornTimestamp: storeTimestamp,
      storeTimestamp,
      expireAt: Date.now() + 3_600_000,
    };
  }

  it('writes one marker per 128 offsets of single sends and finds the offset for any time', async () => {
    const topic = `t${randomBytes(3).toString('hex')}`;
    const base = Date.now() - 60_000;
    // 300 single sends, 10 ms apart in store time.
    for (let i = 0; i < 300; i++) await store.append([message(topic, base + i * 10)]);
    const markers = await raw.send(
      new QueryCommand({
        TableName: tableNames(prefix).messages,
        IndexName: INDEXES.byQueueTime,
        KeyConditionExpression: 'q = :q',
        ExpressionAttributeValues: { ':q': { S: queueKey(topic, 0) } },
      }),
    );
    expect(markers.Items?.map((item) => Number(item['o']?.N)).sort((a, b) => a - b)).toEqual([0, 128, 256]);
    expect(await store.offsetForTime(topic, 0, base - 1)).toBe(0);
    expect(await store.offsetForTime(topic, 0, base + 1)).toBe(1);
    expect(await store.offsetForTime(topic, 0, base + 1_275)).toBe(128);
    expect(await store.offsetForTime(topic, 0, base + 1_281)).toBe(129);
    expect(await store.offsetForTime(topic, 0, base + 2_990)).toBe(299);
    expect(await store.offsetForTime(topic, 0, base + 3_000)).toBe(300);
  });

  it('finds the first of many messages stored in one millisecond, below markers of the same time', async () => {
    const topic = `t${randomBytes(3).toString('hex')}`;
    const at = Date.now() - 30_000;
    // 320 messages in batches of 32, all in one millisecond: markers at 0, 128 and 256 share it.
    for (let i = 0; i < 10; i++) await store.append(Array.from({ length: 32 }, () => message(topic, at)));
    expect(await store.offsetForTime(topic, 0, at)).toBe(0);
    expect(await store.offsetForTime(topic, 0, at + 1)).toBe(320);
  });

  it('never answers above a message stored at or after the time when a writer reserved after newer messages', async () => {
    const topic = `t${randomBytes(3).toString('hex')}`;
    // One second of store time: per-second markers placed a marker at offset 0 only.
    const base = Math.floor(Date.now() / 1000) * 1000 - 30_000;
    await store.append(Array.from({ length: 127 }, () => message(topic, base)));
    // Offset 127, stored at base + 500.
    await store.append([message(topic, base + 500)]);
    // Offset 128, a marker: a writer that took its store time (base + 100) before offset 127's
    // writer and reserved after it (a slow claim-check upload, a paused container).
    await store.append([message(topic, base + 100)]);
    await store.append([message(topic, base + 600)]);
    // A reset to base + 300 that answered 129 would skip offset 127 for good.
    expect(await store.offsetForTime(topic, 0, base + 300)).toBe(127);
    expect(await store.offsetForTime(topic, 0, base + 550)).toBe(129);
  });
});
