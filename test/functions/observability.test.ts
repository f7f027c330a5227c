import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HEAD_OFFSET } from '../../src/adapters/dynamodb/keys.ts';
import { tableDefinitions } from '../../src/adapters/dynamodb/table-definitions.ts';
import { SEALED_OFFSETS_METRIC } from '../../src/lambda/sealed-offsets.ts';
import type { Client } from '../../src/sdk/client.ts';
import { Producer } from '../../src/sdk/producer.ts';
import { SimpleConsumer } from '../../src/sdk/simple-consumer.ts';
import {
  API_HOST,
  apiGatewayClient,
  apiGatewayFetch,
  type HttpHandlers,
  type LambdaEnvironment,
  loadHttpHandlers,
  REGION,
  startLambdaEnvironment,
} from './lambda-harness.ts';

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

/** What a writer killed right after reserving its offset leaves behind: the queue's tail moved, no segment. */
async function abandonReservation(topic: string, queueId: number): Promise<void> {
  const dynamo = new DynamoDBClient({ endpoint: process.env['AWS_ENDPOINT_URL_DYNAMODB'], region: REGION });
  try {
    await dynamo.send(
      new UpdateItemCommand({
        TableName: tableDefinitions(env.tablePrefix).messages.tableName,
        Key: { q: { S: `${topic}#${queueId}` }, o: { N: String(HEAD_OFFSET) } },
        UpdateExpression: 'ADD n :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );
  } finally {
    dynamo.destroy();
  }
}

describe('Lambda observability', () => {
  it('publishes the offsets a receive sealed as the SealedOffsets metric, once per invocation', async () => {
    const published = vi.spyOn(Metrics.prototype, 'addMetric');
    await client.createTopic('holes', { queueCount: 1 });
    await client.createGroup('hole-readers', { subscriptions: [{ topic: 'holes' }] });
    const producer = new Producer(client);
    await producer.send('holes', { body: 'before' });
    await abandonReservation('holes', 0);
    await producer.send('holes', { body: 'after' });
    const consumer = new SimpleConsumer(client, { group: 'hole-readers' });
    const bodies: string[] = [];
    // The first receive stops at the hole; a long-poll waits out the hole timeout (10 s), seals it and goes on.
    for (let i = 0; i < 3 && bodies.length < 2; i++) {
      for (const message of await consumer.receive({ maxMessages: 2, waitMs: 20_000 })) bodies.push(message.text());
    }
    expect(bodies).toEqual(['before', 'after']);
    const sealed = published.mock.calls.filter(([name]) => name === SEALED_OFFSETS_METRIC);
    expect(sealed).toEqual([[SEALED_OFFSETS_METRIC, 'Count', 1]]);
    published.mockRestore();
  }, 40_000);

  it('answers GET /healthz without a signature, and refuses every other unsigned request', async () => {
    const unsigned = apiGatewayFetch(http);
    const health = await unsigned(`https://${API_HOST}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await unsigned(`https://${API_HOST}/v1/topics`)).status).toBe(403);
    expect((await unsigned(`https://${API_HOST}/healthz`, { method: 'POST' })).status).toBe(403);
  });
});
