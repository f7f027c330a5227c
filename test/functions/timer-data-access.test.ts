import type { SQSEvent } from 'aws-lambda';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../src/sdk/client.ts';
import { Producer } from '../../src/sdk/producer.ts';
import {
  apiGatewayClient,
  type HttpHandlers,
  invoke,
  type LambdaEnvironment,
  loadHttpHandlers,
  startLambdaEnvironment,
} from './lambda-harness.ts';
import { recordedCalls, uncoveredCalls } from './store-calls.ts';

/**
 * The delayed-message paths of the functions, as deployed: send holds (and releases what is
 * due now) and sends SQS wake-ups, timer-release releases, hands off and sweeps, admin
 * deletes a topic with its held records. Each DynamoDB and S3 request must be one the
 * function's role allows (lib/data-access.ts).
 */
let env: LambdaEnvironment;
let sqs: FauxqsServer;
let http: HttpHandlers;
let client: Client;
let queueName: string;

beforeAll(async () => {
  env = await startLambdaEnvironment();
  sqs = await startFauxqs({ port: 0, logger: false });
  queueName = 'timer-release-wake-ups';
  sqs.createQueue(queueName);
  // Path-style, on the emulator's address: the SDK sends to the QueueUrl's host.
  const queueUrl = `${sqs.address}/000000000000/${queueName}`;
  Object.assign(process.env, { AWS_ENDPOINT_URL_SQS: sqs.address, NIMBUS_RELEASE_QUEUE_URL: queueUrl });
  http = await loadHttpHandlers();
  client = apiGatewayClient(http);
});

afterAll(async () => {
  await sqs?.stop();
  await env?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('delayed-message calls of each function vs. its IAM policy', () => {
  it('send, timer-release and admin make only calls their roles allow', async () => {
    const timerRelease = (await import('../../functions/timer-release.ts')).handler;
    await client.createTopic('later', { messageType: 'DELAY', queueCount: 2 });
    const producer = new Producer(client);
    await producer.send('later', { body: 'now', delayMs: 0, keys: ['k'] });
    await producer.send('later', { body: 'once', delayMs: 1_000, messageId: 'dedup-1' });
    expect((await producer.send('later', { body: 'once', delayMs: 1_000, messageId: 'dedup-1' })).duplicate).toBe(true);
    await producer.send('later', { body: 'far', deliverAt: Date.now() + 3_600_000 });
    // The send function's wake-ups for the 1 s message went to SQS (the repeated send asks again).
    const queued = sqs.inspectQueue(queueName)?.messages;
    const wakeUps = [...(queued?.delayed ?? []), ...(queued?.ready ?? [])];
    expect(new Set(wakeUps.map((message) => JSON.parse(message.body).msgId)).size).toBe(1);

    await sleep(1_100);
    const event: SQSEvent = {
      Records: wakeUps.map((message) => ({ messageId: 'w1', body: message.body, eventSource: 'aws:sqs' }) as never),
    };
    expect(await invoke(timerRelease, event, 'timer-release', 60_000)).toEqual({ batchItemFailures: [] });
    await invoke(timerRelease, { nimbus: 'release-sweep' }, 'timer-release', 60_000);
    const minute = Math.floor((Date.now() + 3_600_000) / 60_000);
    expect(await invoke(timerRelease, { nimbus: 'release-bucket', minute }, 'timer-release', 60_000)).toEqual({
      released: 0,
      handedOff: 1,
    });
    // The admin function lists and cancels scheduled messages.
    const cancelMe = await producer.send('later', { body: 'never', delayMs: 600_000 });
    const { scheduled } = await client.listScheduled('later', { limit: 1 });
    expect(scheduled).toHaveLength(1);
    await client.cancelScheduled('later', cancelMe.msgId);
    await client.deleteTopic('later');

    const seen = new Set(recordedCalls().map((call) => call.fn));
    expect([...seen].sort()).toEqual(['admin', 'send', 'timer-release']);
    expect(recordedCalls().some((call) => call.resource === 'held')).toBe(true);
    expect(uncoveredCalls()).toEqual([]);
  }, 120_000);
});
