import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushDriverReport } from '../../src/push/push-driver-run.ts';
import type { Client } from '../../src/sdk/client.ts';
import { Producer } from '../../src/sdk/producer.ts';
import { TransactionProducer } from '../../src/sdk/transaction-producer.ts';
import {
  apiGatewayClient,
  invoke,
  type LambdaEnvironment,
  loadHttpHandlers,
  startLambdaEnvironment,
} from './lambda-harness.ts';
import { MessagesStream } from './messages-stream.ts';
import { loggingSubscriber, pushBursts, startStreamTrigger, subscriptionOf } from './push-stream-harness.ts';
import { uncoveredCalls } from './store-calls.ts';

/**
 * Push delivery started by the messages stream, end to end on DynamoDB Local: records are
 * read through the DynamoDB Streams API, filtered and batched as the event source mapping
 * does, and handed to the push-stream handler, whose nudges run the push-deliver handler in
 * this process. No schedule runs in these tests unless one says so: every delivery here
 * was started by the stream.
 */
let env: LambdaEnvironment;
let client: Client;
let stream: MessagesStream;

beforeAll(async () => {
  env = await startLambdaEnvironment();
  client = apiGatewayClient(await loadHttpHandlers());
  stream = new MessagesStream(process.env['AWS_ENDPOINT_URL_DYNAMODB'] as string, `${env.tablePrefix}-messages`);
  await stream.open();
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

const until = async (done: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
};

describe('push delivery from the messages stream', () => {
  it('nudges every subscription on the topic, and only those', async () => {
    await client.createTopic('orders', { queueCount: 4 });
    await client.createTopic('letters', { queueCount: 1 });
    await client.createGroup('billing', { subscriptions: [{ topic: 'orders' }] });
    await client.createGroup('audit', { subscriptions: [{ topic: 'orders' }, { topic: 'letters' }] });
    await client.createGroup('mail', { subscriptions: [{ topic: 'letters' }] });
    const billing = loggingSubscriber();
    const audit = loggingSubscriber();
    const mail = loggingSubscriber();
    const trigger = await startStreamTrigger({
      stream,
      subscriptions: [
        subscriptionOf('billing', 'billing-fn'),
        subscriptionOf('audit', 'audit-fn'),
        subscriptionOf('mail', 'mail-fn'),
      ],
      targets: { 'billing-fn': billing.config, 'audit-fn': audit.config, 'mail-fn': mail.config },
    });
    const bodies = Array.from({ length: 20 }, (_, i) => `order-${i}`);
    try {
      await new Producer(client).sendBatch('orders', bodies.slice(0, 10));
      await new Producer(client).sendBatch('orders', bodies.slice(10));
      await until(() => billing.log.firstSeenAt.size === 20 && audit.log.firstSeenAt.size === 20, 30_000);
    } finally {
      await trigger.stop();
    }
    expect([...billing.log.firstSeenAt.keys()].sort()).toEqual([...bodies].sort());
    expect([...audit.log.firstSeenAt.keys()].sort()).toEqual([...bodies].sort());
    expect(mail.log.invocations).toBe(0);
    const nudged = trigger.reports.flatMap((report) => report.nudged);
    expect(new Set(nudged)).toEqual(new Set(['billing', 'audit']));
    expect(trigger.reports.flatMap((report) => report.topics)).not.toContain('letters');
    // The stream function reads groups only; the nudged drivers stay within their own role.
    expect(uncoveredCalls()).toEqual([]);
  }, 90_000);

  it('acks what the function processed and dead-letters what it reported failed', async () => {
    await client.createTopic('payments', { queueCount: 2 });
    // One attempt: a failure goes to the dead-letter queue at once instead of after RocketMQ's backoff.
    await client.createGroup('settlement', { subscriptions: [{ topic: 'payments' }], maxDeliveryAttempts: 1 });
    const subscriber = loggingSubscriber((body) => body.startsWith('bad-'));
    const subscription = subscriptionOf('settlement', 'settle-fn', { batchSize: 4 });
    const trigger = await startStreamTrigger({
      stream,
      subscriptions: [subscription],
      targets: { 'settle-fn': subscriber.config },
    });
    const good = Array.from({ length: 12 }, (_, i) => `good-${i}`);
    const bad = Array.from({ length: 5 }, (_, i) => `bad-${i}`);
    try {
      await new Producer(client).sendBatch('payments', [...good, ...bad]);
      await until(() => subscriber.log.firstSeenAt.size === 17, 30_000);
    } finally {
      await trigger.stop();
    }
    expect(subscriber.log.firstSeenAt.size).toBe(17);
    const { deadLetters } = await client.listDeadLetters('settlement', { limit: 100 });
    expect(deadLetters.map((letter) => letter.message?.body).sort()).toEqual([...bad].sort());
    // Nothing is left to deliver: the successes were acked, the failures are in the DLQ.
    const { createPushDeliverHandler } = await import('../../src/lambda/push-deliver-handler.ts');
    const { inProcessInvoker } = await import('../../src/push/in-process-invoker.ts');
    const scheduled = createPushDeliverHandler(inProcessInvoker({ 'settle-fn': subscriber.config }));
    const report: PushDriverReport = await invoke(scheduled, { subscription }, 'push-deliver', 900_000);
    expect(report.skipped).toBeUndefined();
    expect(report.delivered).toBe(0);
  }, 90_000);

  it('a message committed from a transaction starts delivery; its half message does not', async () => {
    await client.createTopic('ledger', { messageType: 'TRANSACTION', queueCount: 1 });
    await client.createGroup('books', { subscriptions: [{ topic: 'ledger' }] });
    await client.putProducerGroup('ledger-writers', { checker: { type: 'poll' } });
    const books = loggingSubscriber();
    const trigger = await startStreamTrigger({
      stream,
      subscriptions: [subscriptionOf('books', 'books-fn')],
      targets: { 'books-fn': books.config },
    });
    const producer = new TransactionProducer(client, { producerGroup: 'ledger-writers' });
    try {
      const half = await producer.sendHalf('ledger', 'entry-1');
      // Held, not in the log: the stream carries no new segment for it.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(trigger.reports.flatMap((report) => report.topics)).not.toContain('ledger');
      await producer.commit(half.transactionId);
      await until(() => books.log.firstSeenAt.size === 1, 30_000);
    } finally {
      await trigger.stop();
    }
    expect([...books.log.firstSeenAt.keys()]).toEqual(['entry-1']);
    expect(trigger.reports.flatMap((report) => report.nudged)).toContain('books');
  }, 90_000);

  it('delivers a burst of 1,000 messages with far fewer driver starts than messages, within maxConcurrency', async () => {
    const outcome = await pushBursts({
      client,
      stream,
      topic: 'clicks',
      group: 'analytics',
      bursts: 10,
      perBurst: 100,
      pauseMs: 1_000,
      maxConcurrency: 4,
      timeoutMs: 120_000,
    });
    expect(outcome.sent).toBe(1_000);
    expect(outcome.log.firstSeenAt.size).toBe(1_000);
    expect(outcome.log.maxInFlight).toBeLessThanOrEqual(4);
    // Batched by the window: a stream invocation covers many sends, a driver start many batches.
    expect(outcome.streamInvocations).toBeLessThan(100);
    expect(outcome.driverStarts).toBeLessThan(100);
  }, 240_000);
});
