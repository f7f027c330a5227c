import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDynamoDbStore } from '../../src/adapters/dynamodb/index.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { createBroker } from '../../src/core/broker.ts';
import type { PushRunReport } from '../../src/core/push-delivery.ts';
import type { PushDriverEvent } from '../../src/lambda/push-driver-event.ts';
import { inProcessInvoker } from '../../src/push/in-process-invoker.ts';
import type { NimbusPushEvent, NimbusPushResponse } from '../../src/push/push-event.ts';
import type { Client } from '../../src/sdk/client.ts';
import { Producer } from '../../src/sdk/producer.ts';
import { SimpleConsumer } from '../../src/sdk/simple-consumer.ts';
import { awsSigV4Signer } from '../../src/signer/aws-sigv4-signer.ts';
import { ManualClock } from '../support/manual-clock.ts';
import {
  apiGatewayClient,
  type HttpHandlers,
  httpEvent,
  invoke,
  type LambdaEntry,
  type LambdaEnvironment,
  loadHttpHandlers,
  startLambdaEnvironment,
} from './lambda-harness.ts';
import { recordedCalls, uncoveredCalls } from './store-calls.ts';

let env: LambdaEnvironment;
let http: HttpHandlers;
let retentionSweep: LambdaEntry<unknown, { removed: number }>;
let backlogMetrics: LambdaEntry<unknown, { maxLag: number; groups: number }>;
let leaseExpiry: LambdaEntry<unknown, { deadLettered: number }>;
let createPushDeliverHandler: typeof import('../../src/lambda/push-deliver-handler.ts').createPushDeliverHandler;
let client: Client;

/** What EventBridge Scheduler delivers to a function whose schedule has no input. */
const scheduledEvent = {};

beforeAll(async () => {
  env = await startLambdaEnvironment();
  // Imported after the environment is set, as Lambda loads a function in a configured container.
  http = await loadHttpHandlers();
  retentionSweep = (await import('../../functions/retention-sweep.ts')).handler;
  backlogMetrics = (await import('../../functions/backlog-metrics.ts')).handler;
  leaseExpiry = (await import('../../functions/lease-expiry.ts')).handler;
  createPushDeliverHandler = (await import('../../src/lambda/push-deliver-handler.ts')).createPushDeliverHandler;
  client = apiGatewayClient(
    http,
    awsSigV4Signer({ credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' } }),
  );
});

afterAll(async () => {
  await env?.stop();
});

describe('HTTP functions behind API Gateway', () => {
  it('runs send -> receive -> ack through the SDK, signed, routed by the stack route table', async () => {
    await client.createTopic('orders', { queueCount: 2 });
    await client.createGroup('billing', { subscriptions: [{ topic: 'orders' }] });
    const producer = new Producer(client);
    const sent = await producer.send('orders', { body: 'order-1', tag: 'paid', keys: ['o-1'] });
    const consumer = new SimpleConsumer(client, { group: 'billing', maxMessages: 10 });
    const [message, ...rest] = await consumer.receive();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ msgId: sent.msgId, tag: 'paid', deliveryAttempt: 1 });
    expect(message?.text()).toBe('order-1');
    const [result] = await consumer.ack(message!);
    expect(result).toMatchObject({ ok: true });
    expect(await consumer.receive()).toEqual([]);
  });

  it('stores a large body in the bucket and hands it back on receive', async () => {
    await client.createTopic('scans', { queueCount: 1 });
    await client.createGroup('archive', { subscriptions: [{ topic: 'scans' }] });
    const body = 'x'.repeat(300 * 1024);
    await new Producer(client).send('scans', body);
    const [message] = await new SimpleConsumer(client, { group: 'archive' }).receive();
    expect(message?.text().length).toBe(body.length);
  });

  it('answers raw API Gateway events: base64 bodies, API errors for unknown routes and methods', async () => {
    await client.createTopic('raw-events', { queueCount: 1 });
    await client.createGroup('raw-readers', { subscriptions: [{ topic: 'raw-events' }] });
    const sent = await invoke(
      http.send,
      httpEvent({
        method: 'POST',
        url: '/v1/topics/raw-events/messages',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ body: 'from a binary-typed request' }),
        base64: true,
      }),
      'send',
    );
    expect(sent.statusCode).toBe(200);
    expect(JSON.parse(sent.body ?? '')).toMatchObject({ topic: 'raw-events', duplicate: false });
    const missing = await invoke(http.admin, httpEvent({ method: 'GET', url: '/v2/nothing' }), 'admin');
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body ?? '')).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    const wrongMethod = await invoke(http.admin, httpEvent({ method: 'POST', url: '/v1/topics/raw-events' }), 'admin');
    expect(wrongMethod.statusCode).toBe(405);
    const invalid = await invoke(
      http['consume-pull'],
      httpEvent({
        method: 'POST',
        url: '/v1/groups/raw-readers/receive',
        body: '{"maxMessages":0}',
        headers: { 'content-type': 'application/json' },
      }),
      'consume-pull',
    );
    expect(invalid.statusCode).toBe(400);
  });

  it('ends a long-poll before the function times out and still answers', async () => {
    await client.createTopic('quiet', { queueCount: 1 });
    await client.createGroup('idle', { subscriptions: [{ topic: 'quiet' }] });
    const started = Date.now();
    const response = await invoke(
      http['consume-pull'],
      httpEvent({
        method: 'POST',
        url: '/v1/groups/idle/receive',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ waitMs: 20_000 }),
      }),
      'consume-pull',
      5_000,
    );
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '')).toEqual({ messages: [] });
    // The function had 5 s: the poll stopped about 3 s before that instead of waiting 20 s.
    expect(Date.now() - started).toBeLessThan(4_500);
  });
});

describe.concurrent('background and redelivery', () => {
  it('redelivers an unacked message after its invisible duration, attempt 2', async () => {
    await client.createTopic('invoices', { queueCount: 1 });
    await client.createGroup('ledger', { subscriptions: [{ topic: 'invoices' }] });
    await new Producer(client).send('invoices', 'inv-1');
    const consumer = new SimpleConsumer(client, { group: 'ledger', invisibleDurationMs: 10_000 });
    const [first] = await consumer.receive();
    expect(first?.deliveryAttempt).toBe(1);
    expect(await consumer.receive()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 10_500));
    const [again] = await consumer.receive();
    expect(again).toMatchObject({ msgId: first?.msgId, deliveryAttempt: 2 });
    expect((await consumer.ack(again!))[0]?.ok).toBe(true);
  });

  it('dead-letters a message whose last attempt expired unacked, though nobody receives again', async () => {
    await client.createTopic('alerts', { queueCount: 1 });
    await client.createGroup('pager', { subscriptions: [{ topic: 'alerts' }], maxDeliveryAttempts: 1 });
    await client.createGroup('pager-twice', { subscriptions: [{ topic: 'alerts' }], maxDeliveryAttempts: 2 });
    const sent = await new Producer(client).send('alerts', 'disk full');
    for (const group of ['pager', 'pager-twice']) {
      expect(await new SimpleConsumer(client, { group, invisibleDurationMs: 10_000 }).receive()).toHaveLength(1);
    }
    expect((await invoke(leaseExpiry, scheduledEvent, 'lease-expiry', 60_000)).deadLettered).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 10_500));
    // Other tests' groups run concurrently: count this test's letters, not the run's total.
    await invoke(leaseExpiry, scheduledEvent, 'lease-expiry', 60_000);
    const letters = (await client.listDeadLetters('pager')).deadLetters;
    expect(letters.map((letter) => [letter.msgId, letter.deliveryAttempts])).toEqual([[sent.msgId, 1]]);
    // Attempts left: that one waits for its redelivery on the next receive.
    expect((await client.listDeadLetters('pager-twice')).deadLetters).toEqual([]);
    await invoke(leaseExpiry, scheduledEvent, 'lease-expiry', 60_000);
    expect((await client.listDeadLetters('pager')).deadLetters).toHaveLength(1);
    const [again] = await new SimpleConsumer(client, { group: 'pager-twice' }).receive();
    expect(again).toMatchObject({ msgId: sent.msgId, deliveryAttempt: 2 });
  });

  it('sweeps expired messages on its schedule; receivers never get them', async () => {
    await client.createTopic('clicks', { queueCount: 2, retentionHours: 1 });
    await client.createGroup('analytics', { subscriptions: [{ topic: 'clicks' }] });
    // A producer two hours ago: its messages (1 h retention) expired an hour ago.
    const past = new ManualClock(Date.now() - 2 * 3_600_000);
    const store = await openDynamoDbStore({ tablePrefix: env.tablePrefix });
    const earlier = createBroker({
      timers: systemTimers,
      store,
      clock: past,
      ids: randomIds(),
      notifier: new InProcessNotifier(),
    });
    await earlier.producer.send(
      'clicks',
      [1, 2, 3].map((n) => ({ body: new TextEncoder().encode(`click-${n}`) })),
    );
    await store.close();
    expect(await new SimpleConsumer(client, { group: 'analytics', maxMessages: 10 }).receive()).toEqual([]);
    const result = await invoke(retentionSweep, scheduledEvent, 'retention-sweep', 300_000);
    expect(result.removed).toBeGreaterThanOrEqual(3);
    expect((await invoke(retentionSweep, scheduledEvent, 'retention-sweep', 300_000)).removed).toBe(0);
  });

  it('publishes the consumer backlog of clustering groups', async () => {
    await client.createTopic('metrics-topic', { queueCount: 2 });
    await client.createGroup('lagging', { subscriptions: [{ topic: 'metrics-topic' }] });
    await new Producer(client).sendBatch('metrics-topic', ['a', 'b', 'c', 'd', 'e']);
    const result = await invoke(backlogMetrics, scheduledEvent, 'backlog-metrics', 60_000);
    expect(result.maxLag).toBeGreaterThanOrEqual(5);
  });

  it('pushes a group to a subscribed function: acks successes, retries failures, dead-letters the poison', async () => {
    await client.createTopic('payments', { queueCount: 2 });
    await client.createGroup('payouts', { subscriptions: [{ topic: 'payments' }], maxDeliveryAttempts: 2 });
    await new Producer(client).sendBatch('payments', ['pay-1', 'pay-2', 'poison', 'pay-3']);
    // The subscribed function: a real handler that pays out and fails on the poison message.
    const paid: string[] = [];
    const attempts: Record<string, number[]> = {};
    const subscriber = async (event: unknown): Promise<NimbusPushResponse> => {
      const { messages } = event as NimbusPushEvent;
      const failures: { itemIdentifier: string }[] = [];
      for (const message of messages) {
        attempts[message.body] = [...(attempts[message.body] ?? []), message.deliveryAttempt];
        if (message.body === 'poison') failures.push({ itemIdentifier: message.msgId });
        else paid.push(message.body);
      }
      return { batchItemFailures: failures };
    };
    const handler = createPushDeliverHandler(inProcessInvoker({ 'payout-function': { handler: subscriber } }));
    // The input the subscription's schedule carries (lib/lambda-subscription.ts writes this shape).
    const scheduleInput: PushDriverEvent = {
      subscription: {
        group: 'payouts',
        functionName: 'payout-function',
        batchSize: 2,
        maxConcurrency: 2,
        invisibleDurationMs: 60_000,
        continuousPolling: false,
        runWindowMs: 50_000,
      },
    };
    const first: PushRunReport = await invoke(handler, scheduleInput, 'push-deliver', 900_000);
    expect(first).toMatchObject({ delivered: 4, acked: 3, retried: 1, deadLettered: 0 });
    expect(paid.sort()).toEqual(['pay-1', 'pay-2', 'pay-3']);
    // RocketMQ backoff: the failed message comes back 10 s later, on its last attempt.
    await new Promise((resolve) => setTimeout(resolve, 10_500));
    const second: PushRunReport = await invoke(handler, scheduleInput, 'push-deliver', 900_000);
    expect(second).toMatchObject({ delivered: 1, acked: 0, deadLettered: 1 });
    expect(attempts['poison']).toEqual([1, 2]);
    expect(attempts['pay-1']).toEqual([1]);
    const letters = (await client.listDeadLetters('payouts')).deadLetters;
    expect(letters.map((letter) => [letter.message?.body, letter.deliveryAttempts])).toEqual([['poison', 2]]);
  });

  it('rejects a schedule input that is not a subscription', async () => {
    const handler = createPushDeliverHandler(inProcessInvoker({}));
    await expect(invoke(handler, { subscription: { group: 'payouts' } }, 'push-deliver')).rejects.toThrow();
  });
});

describe('IAM', () => {
  it('allowed every store call these tests made to the role of the function that made it', () => {
    expect(recordedCalls().length).toBeGreaterThan(0);
    expect(uncoveredCalls()).toEqual([]);
  });
});

describe('module-scope broker', () => {
  it('reuses one broker per container across invocations', async () => {
    const { sharedBroker } = await import('../../src/lambda/broker-from-env.ts');
    expect(await sharedBroker()).toBe(await sharedBroker());
  });
});
