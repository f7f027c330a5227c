import { randomBytes, randomUUID } from 'node:crypto';
import { type DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDynamoClient } from '../../../src/adapters/dynamodb/client.ts';
import type { DynamoDbStore } from '../../../src/adapters/dynamodb/index.ts';
import { pad } from '../../../src/adapters/dynamodb/keys.ts';
import { tableNames } from '../../../src/adapters/dynamodb/table-definitions.ts';
import { tracePartition } from '../../../src/adapters/dynamodb/trace-records.ts';
import type { TraceRecord } from '../../../src/core/ports/store.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

/**
 * Trace items (src/adapters/dynamodb/trace-records.ts): the events of one call are stored
 * deflated, and items written before that, with the JSON list in `v`, still read.
 */
let aws: LocalAws;
let store: DynamoDbStore;
let prefix: string;
let raw: DynamoDBClient;
beforeAll(async () => {
  aws = await startLocalAws();
  prefix = `tr${randomBytes(3).toString('hex')}`;
  store = await aws.openStore({ tablePrefix: prefix });
  raw = createDynamoClient({ endpoint: aws.dynamo.endpoint, region: 'us-east-1' });
});
afterAll(async () => {
  raw?.destroy();
  await aws?.stop();
});

function delivered(topic: string, queueOffset: number, time: number): TraceRecord {
  return {
    subject: { topic, queueId: 0, queueOffset },
    event: { type: 'DELIVERED', time, group: 'billing', clientId: 'worker-1', attempt: 1, requestId: 'req-1' },
    expireAt: time + 3_600_000,
  };
}

it('stores the DELIVERED events of a batch of 32 deflated in one item of one write unit, and reads each back', async () => {
  const topic = `t${randomBytes(3).toString('hex')}`;
  const now = Date.now();
  const records = Array.from({ length: 32 }, (_, i) => delivered(topic, i, now));
  store.capacity.reset();
  await store.appendTrace(records);
  expect(store.capacity.snapshot().byOperation['trace.append']?.wcu).toBe(1);
  const items = await raw.send(
    new QueryCommand({
      TableName: tableNames(prefix).index,
      KeyConditionExpression: 'p = :p',
      ExpressionAttributeValues: { ':p': { S: tracePartition(records[0]!.subject) } },
    }),
  );
  expect(items.Items).toHaveLength(1);
  expect(items.Items?.[0]?.['z']?.B).toBeDefined();
  expect(items.Items?.[0]?.['v']).toBeUndefined();
  for (const record of [records[0]!, records[31]!]) {
    expect(await store.listTrace([record.subject], now)).toEqual([record]);
  }
});

it('reads trace items written with the events as JSON in `v`', async () => {
  const topic = `t${randomBytes(3).toString('hex')}`;
  const now = Date.now();
  const record = delivered(topic, 5, now);
  await raw.send(
    new PutItemCommand({
      TableName: tableNames(prefix).index,
      Item: {
        p: { S: tracePartition(record.subject) },
        s: { S: `${pad(now)}#${randomUUID()}` },
        v: { S: JSON.stringify([[5, record.event, record.expireAt]]) },
        e: { N: String(record.expireAt) },
        ttl: { N: String(Math.ceil(record.expireAt / 1000)) },
      },
    }),
  );
  expect(await store.listTrace([record.subject], now)).toEqual([record]);
});
