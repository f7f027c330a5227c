import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_ACCESS } from '../../lib/data-access.ts';
import { FUNCTION_NAMES } from '../../lib/function-bundling.ts';
import { tableDefinitions } from '../../src/adapters/dynamodb/table-definitions.ts';
import type { PushDriverEvent } from '../../src/lambda/push-driver-event.ts';
import { inProcessInvoker } from '../../src/push/in-process-invoker.ts';
import type { NimbusPushEvent } from '../../src/push/push-event.ts';
import type { Client } from '../../src/sdk/client.ts';
import { Producer } from '../../src/sdk/producer.ts';
import { SimpleConsumer } from '../../src/sdk/simple-consumer.ts';
import {
  apiGatewayClient,
  type HttpHandlers,
  invoke,
  type LambdaEnvironment,
  loadHttpHandlers,
  REGION,
  startLambdaEnvironment,
} from './lambda-harness.ts';
import { allows, RECORDED_REQUEST_TYPES, recordedCalls, S3_ACTIONS, uncoveredCalls } from './store-calls.ts';

/**
 * Every path of every function runs once against DynamoDB Local and the S3 emulator, and
 * each request it makes must be allowed by its role (lib/data-access.ts). A store change
 * that issues a new kind of request fails here instead of with AccessDenied on AWS.
 */
let env: LambdaEnvironment;
let http: HttpHandlers;
let client: Client;

beforeAll(async () => {
  env = await startLambdaEnvironment();
  http = await loadHttpHandlers();
  client = apiGatewayClient(http);
});

afterAll(async () => {
  await env?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('store calls of each function vs. its IAM policy', () => {
  it('the checker refuses what a role lacks (so the test below can fail)', () => {
    expect(allows(DATA_ACCESS.send, { fn: 'send', action: 'dynamodb:DeleteItem', resource: 'messages' })).toBe(false);
    expect(allows(DATA_ACCESS.send, { fn: 'send', action: 'dynamodb:PutItem', resource: 'messages' })).toBe(true);
    const indexQuery = { fn: 'admin', action: 'dynamodb:Query', resource: 'messages', index: 'queues' } as const;
    expect(allows(DATA_ACCESS.admin, indexQuery)).toBe(false);
    expect(allows(DATA_ACCESS['retention-sweep'], { ...indexQuery, fn: 'retention-sweep' })).toBe(true);
    expect(allows(DATA_ACCESS.admin, { fn: 'admin', action: 's3:ListBucket', resource: 'bucket' })).toBe(true);
  });

  it('knows every request type the adapter can send (a new one must be mapped and granted first)', () => {
    const folder = path.resolve(import.meta.dirname, '../../src/adapters/dynamodb');
    const used = new Set<string>();
    for (const file of readdirSync(folder).filter((name) => name.endsWith('.ts'))) {
      const source = readFileSync(path.join(folder, file), 'utf8');
      for (const match of source.matchAll(/new (\w+)Command\(/g)) used.add(match[1] as string);
      // Transaction parts: { Put: ... } etc. ConditionCheck would need dynamodb:ConditionCheckItem.
      for (const match of source.matchAll(/\b(ConditionCheck)\s*:/g)) used.add(match[1] as string);
    }
    // Table setup runs only with createTables (tests, DynamoDB Local); the stack creates the tables on AWS.
    const setupOnly = ['CreateTable', 'DescribeTable', 'DescribeTimeToLive', 'UpdateTimeToLive'];
    const known: string[] = [...RECORDED_REQUEST_TYPES, ...Object.keys(S3_ACTIONS), ...setupOnly];
    expect([...used].filter((name) => !known.includes(name))).toEqual([]);
    expect(RECORDED_REQUEST_TYPES.filter((name) => !used.has(name))).toEqual([]);
  });

  it('runs every route and background path; each call is one its function may make', async () => {
    await client.createTopic('audit', { queueCount: 2 });
    await client.createTopic('holes', { queueCount: 1 });
    await client.createGroup('auditors', { subscriptions: [{ topic: 'audit' }], maxDeliveryAttempts: 2 });
    await client.createGroup('patient', { subscriptions: [{ topic: 'holes' }] });
    await client.getTopic('audit');
    await client.getGroup('auditors');
    await client.listTopics();
    await client.listGroups();
    await client.request('GET', '/openapi.json');

    const producer = new Producer(client);
    await producer.send('audit', { body: 'keyed', keys: ['k-1'], tag: 'a', messageId: 'once' });
    expect((await producer.send('audit', { body: 'keyed', messageId: 'once' })).duplicate).toBe(true);
    await producer.sendBatch('audit', ['b-1', 'b-2', 'b-3', 'x'.repeat(300 * 1024)]);

    // A writer that reserved an offset and died: the receiver seals the hole after its timeout.
    const dynamo = new DynamoDBClient({ endpoint: process.env['AWS_ENDPOINT_URL_DYNAMODB'], region: REGION });
    await dynamo.send(
      new UpdateItemCommand({
        TableName: tableDefinitions(env.tablePrefix).messages.tableName,
        Key: { q: { S: 'holes#0' }, o: { N: String(Number.MAX_SAFE_INTEGER) } },
        UpdateExpression: 'ADD n :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );
    dynamo.destroy();
    const patient = new SimpleConsumer(client, { group: 'patient' });
    const sealing = (async () => {
      const deadline = Date.now() + 25_000;
      while (Date.now() < deadline) {
        await patient.receive({ waitMs: 0 });
        await sleep(1_000);
      }
    })();
    await new Producer(client).send('holes', 'after the hole');

    const consumer = new SimpleConsumer(client, { group: 'auditors', maxMessages: 10, invisibleDurationMs: 10_000 });
    const received = await consumer.receive();
    expect(received).toHaveLength(5);
    const [toAck, toNack, toExtend, ...leftToExpire] = received;
    await consumer.ack(toAck!);
    await consumer.nack(toNack!, { delayMs: 0 });
    await consumer.changeInvisibleDuration(toExtend!, 10_000);
    expect(leftToExpire).toHaveLength(2);
    await sleep(10_500);
    // Redelivered after expiry (attempt 2); a nack of the last attempt dead-letters.
    const again = await consumer.receive();
    expect(again.length).toBeGreaterThanOrEqual(3);
    await consumer.nack(again, { delayMs: 0 });
    await sleep(500);
    await consumer.receive({ waitMs: 0 });
    expect((await client.listDeadLetters('auditors')).deadLetters.length).toBeGreaterThan(0);
    await client.redriveDeadLetters('auditors');
    await sealing;

    const push = (await import('../../src/lambda/push-deliver-handler.ts')).createPushDeliverHandler(
      inProcessInvoker({
        target: {
          handler: async (event) => ({
            batchItemFailures: [{ itemIdentifier: (event as NimbusPushEvent).messages[0]?.msgId ?? '' }],
          }),
        },
      }),
    );
    const schedule: PushDriverEvent = {
      subscription: {
        group: 'auditors',
        functionName: 'target',
        batchSize: 4,
        maxConcurrency: 2,
        invisibleDurationMs: 10_000,
        continuousPolling: false,
        runWindowMs: 5_000,
      },
    };
    await invoke(push, schedule, 'push-deliver', 900_000);
    // The stream's nudge reads the groups (one nobody created, so the read is not served from the
    // process's catalog cache); the driver it starts runs as push-deliver (above).
    const pushStream = (await import('../../src/lambda/push-stream-handler.ts')).createPushStreamHandler(
      { start: async () => {} },
      [{ ...schedule.subscription, group: 'ghosts' }],
    );
    const newSegment = {
      eventName: 'INSERT' as const,
      dynamodb: { NewImage: { q: { S: 'audit#0' }, m: { B: 'AA==' }, st: { N: '1' }, rt: { N: '1' } } },
    };
    await invoke(pushStream, { Records: [newSegment] }, 'push-stream', 60_000);
    await invoke((await import('../../functions/retention-sweep.ts')).handler, {}, 'retention-sweep', 300_000);
    await invoke((await import('../../functions/backlog-metrics.ts')).handler, {}, 'backlog-metrics', 60_000);
    await invoke((await import('../../functions/lease-expiry.ts')).handler, {}, 'lease-expiry', 60_000);
    // Nothing is held here, so the sweep sends no wake-up (timer-data-access.test.ts runs the delayed paths).
    process.env['NIMBUS_RELEASE_QUEUE_URL'] = 'https://sqs.us-east-1.amazonaws.com/123456789012/unused';
    await invoke(
      (await import('../../functions/timer-release.ts')).handler,
      { nimbus: 'release-sweep' },
      'timer-release',
      60_000,
    );

    await client.deleteGroup('auditors');
    await client.deleteGroup('patient');
    await client.deleteTopic('audit');
    await client.deleteTopic('holes');

    const seen = new Set(recordedCalls().map((call) => call.fn));
    // The transaction functions' paths run in transaction-data-access.test.ts; the console
    // function serves static files only and has no data access.
    const covered = FUNCTION_NAMES.filter(
      (name) => !name.startsWith('transaction-') && Object.keys(DATA_ACCESS[name].tables).length > 0,
    );
    expect([...seen].sort()).toEqual([...covered].sort());
    expect(uncoveredCalls()).toEqual([]);
  }, 120_000);
});
