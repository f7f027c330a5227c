import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { type Broker, createBroker } from '../../src/core/broker.ts';
import type { ReceivedMessage } from '../../src/core/model.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import type { OutgoingMessage } from '../../src/core/producer.ts';
import { ManualClock } from '../support/manual-clock.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

let open: BrokerStore[] = [];
afterEach(async () => {
  await Promise.all(open.map((store) => store.close()));
  open = [];
});

function setup(): { broker: Broker; clock: ManualClock } {
  const clock = new ManualClock();
  const store = openSqliteStore({ path: ':memory:' });
  open.push(store);
  return {
    broker: createBroker({ timers: systemTimers, store, clock, ids: randomIds(), notifier: new InProcessNotifier() }),
    clock,
  };
}

function outgoing(text: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return { body: encoder.encode(text), ...extra };
}

const texts = (messages: ReceivedMessage[]) => messages.map((m) => decoder.decode(m.body)).sort();
const handles = (messages: ReceivedMessage[]) => messages.map((m) => m.receiptHandle);

/** A broker with topic `orders` (2 queues) and clustering group `billing` subscribed to all of it. */
async function ordersAndBilling(maxDeliveryAttempts?: number) {
  const env = setup();
  await env.broker.catalog.putTopic('orders', { queueCount: 2 });
  await env.broker.catalog.putGroup('billing', {
    subscriptions: [{ topic: 'orders', tagExpression: '*' }],
    maxDeliveryAttempts,
  });
  return env;
}

describe('broker flow over the SQLite store', () => {
  it('send -> receive -> ack: each message once, gone after ack', async () => {
    const { broker, clock } = await ordersAndBilling();
    const sent = await broker.producer.send('orders', [outgoing('a'), outgoing('b'), outgoing('c')]);
    expect(sent.map((s) => s.duplicate)).toEqual([false, false, false]);
    const received = await broker.consumer.receive('billing', { maxMessages: 10 });
    expect(texts(received)).toEqual(['a', 'b', 'c']);
    expect(received.map((m) => m.deliveryAttempt)).toEqual([1, 1, 1]);
    expect(received.every((m) => m.invisibleUntil === clock.now() + 30_000)).toBe(true);
    expect(new Set(received.map((m) => m.msgId))).toEqual(new Set(sent.map((s) => s.msgId)));
    expect(await broker.consumer.receive('billing', { maxMessages: 10 })).toEqual([]);
    const acked = await broker.settlement.ack('billing', handles(received));
    expect(acked.every((r) => r.ok)).toBe(true);
    clock.advance(3_600_000);
    expect(await broker.consumer.receive('billing', { maxMessages: 10 })).toEqual([]);
    const again = await broker.settlement.ack('billing', handles(received).slice(0, 1));
    expect(again[0]).toMatchObject({ ok: false, code: 'RECEIPT_HANDLE_EXPIRED' });
  });

  it('redelivers an unacked message after its invisible duration with deliveryAttempt + 1', async () => {
    const { broker, clock } = await ordersAndBilling();
    await broker.producer.send('orders', [outgoing('x')]);
    const [first] = await broker.consumer.receive('billing', { invisibleDurationMs: 10_000 });
    expect(first?.deliveryAttempt).toBe(1);
    clock.advance(9_999);
    expect(await broker.consumer.receive('billing', {})).toEqual([]);
    clock.advance(1);
    const [second] = await broker.consumer.receive('billing', { invisibleDurationMs: 10_000 });
    expect(second?.msgId).toBe(first?.msgId);
    expect(second?.deliveryAttempt).toBe(2);
    const stale = await broker.settlement.ack('billing', [first!.receiptHandle]);
    expect(stale[0]).toMatchObject({ ok: false, code: 'RECEIPT_HANDLE_EXPIRED' });
    expect((await broker.settlement.ack('billing', [second!.receiptHandle]))[0]?.ok).toBe(true);
    clock.advance(60_000);
    expect(await broker.consumer.receive('billing', {})).toEqual([]);
  });

  it("backs off nacked messages on RocketMQ's schedule: 10 s, then 30 s", async () => {
    const { broker, clock } = await ordersAndBilling();
    await broker.producer.send('orders', [outgoing('retry me')]);
    const [first] = await broker.consumer.receive('billing', {});
    expect((await broker.settlement.nack('billing', [first!.receiptHandle]))[0]?.ok).toBe(true);
    clock.advance(9_999);
    expect(await broker.consumer.receive('billing', {})).toEqual([]);
    clock.advance(1);
    const [second] = await broker.consumer.receive('billing', {});
    expect(second?.deliveryAttempt).toBe(2);
    await broker.settlement.nack('billing', [second!.receiptHandle]);
    clock.advance(29_999);
    expect(await broker.consumer.receive('billing', {})).toEqual([]);
    clock.advance(1);
    const [third] = await broker.consumer.receive('billing', {});
    expect(third?.deliveryAttempt).toBe(3);
    expect(third?.msgId).toBe(first?.msgId);
  });

  it('dead-letters after maxDeliveryAttempts (nacked or timed out) and redrives once', async () => {
    const { broker, clock } = await ordersAndBilling(2);
    await broker.producer.send('orders', [outgoing('nacked')]);
    const [nacked] = await broker.consumer.receive('billing', {});
    await broker.settlement.nack('billing', [nacked!.receiptHandle]);
    clock.advance(10_000);
    const [lastTry] = await broker.consumer.receive('billing', {});
    expect(lastTry?.deliveryAttempt).toBe(2);
    await broker.settlement.nack('billing', [lastTry!.receiptHandle]);

    await broker.producer.send('orders', [outgoing('ignored')]);
    const [ignored] = await broker.consumer.receive('billing', { invisibleDurationMs: 10_000 });
    clock.advance(10_000);
    expect((await broker.consumer.receive('billing', { invisibleDurationMs: 10_000 }))[0]?.deliveryAttempt).toBe(2);
    clock.advance(10_000);
    // The due lease is at its last attempt: it goes to the DLQ instead of being handed out.
    expect(await broker.consumer.receive('billing', {})).toEqual([]);
    clock.advance(3_600_000);
    expect(await broker.consumer.receive('billing', {})).toEqual([]);

    const letters = await broker.deadLetters.list('billing');
    expect(letters.map((l) => l.msgId).sort()).toEqual([nacked!.msgId, ignored!.msgId].sort());
    expect(letters.every((l) => l.dlq === '%DLQ%billing' && l.deliveryAttempts === 2)).toBe(true);
    expect(letters.map((l) => decoder.decode(l.message?.body)).sort()).toEqual(['ignored', 'nacked']);

    expect(await broker.deadLetters.redrive('billing', { msgIds: [nacked!.msgId] })).toEqual({
      redriven: 1,
      expired: 0,
    });
    expect(await broker.deadLetters.redrive('billing', { msgIds: [nacked!.msgId] })).toEqual({
      redriven: 0,
      expired: 0,
    });
    const [back] = await broker.consumer.receive('billing', { maxMessages: 10 });
    expect(back?.msgId).toBe(nacked?.msgId);
    expect(back?.deliveryAttempt).toBe(1);
    expect((await broker.settlement.ack('billing', [back!.receiptHandle]))[0]?.ok).toBe(true);
    expect((await broker.deadLetters.list('billing')).map((l) => l.msgId)).toEqual([ignored!.msgId]);
  });

  it('hands out a due redelivery that waits behind leases going to the DLQ, in the same receive', async () => {
    const { broker, clock } = await ordersAndBilling(2);
    await broker.producer.send('orders', [outgoing('p1'), outgoing('p2'), outgoing('p3')]);
    const poison = await broker.consumer.receive('billing', { maxMessages: 3, invisibleDurationMs: 10_000 });
    clock.advance(10_000);
    expect(await broker.consumer.receive('billing', { maxMessages: 3, invisibleDurationMs: 10_000 })).toHaveLength(3);
    clock.advance(1_000);
    await broker.producer.send('orders', [outgoing('healthy')]);
    const [healthy] = await broker.consumer.receive('billing', { invisibleDurationMs: 10_000 });
    expect(healthy?.deliveryAttempt).toBe(1);
    clock.advance(10_000);
    // p1-p3 are due at their last attempt and go to the DLQ; the healthy one comes back at once.
    const [again] = await broker.consumer.receive('billing', {});
    expect(again?.msgId).toBe(healthy?.msgId);
    expect(again?.deliveryAttempt).toBe(2);
    expect((await broker.deadLetters.list('billing')).map((l) => l.msgId).sort()).toEqual(
      poison.map((m) => m.msgId).sort(),
    );
  });

  it('filters by tag on the server and moves past messages that do not match', async () => {
    const { broker } = setup();
    await broker.catalog.putTopic('orders', { queueCount: 1 });
    await broker.catalog.putGroup('billing', {
      subscriptions: [{ topic: 'orders', tagExpression: 'paid || refunded' }],
    });
    await broker.producer.send('orders', [
      outgoing('created', { tag: 'created' }),
      outgoing('paid', { tag: 'paid' }),
      outgoing('untagged'),
      outgoing('refunded', { tag: 'refunded' }),
    ]);
    const received = await broker.consumer.receive('billing', { maxMessages: 10 });
    expect(texts(received)).toEqual(['paid', 'refunded']);
    await broker.settlement.ack('billing', handles(received));
    expect(await broker.consumer.receive('billing', { maxMessages: 10 })).toEqual([]);
  });

  it('gives every broadcasting client every message, with separate progress', async () => {
    const { broker } = setup();
    await broker.catalog.putTopic('news', { queueCount: 2 });
    await broker.catalog.putGroup('screens', {
      subscriptions: [{ topic: 'news', tagExpression: '*' }],
      consumeMode: 'BROADCASTING',
    });
    await broker.producer.send('news', [outgoing('n1'), outgoing('n2'), outgoing('n3')]);
    const one = await broker.consumer.receive('screens', { clientId: 'screen-1', maxMessages: 10 });
    expect(texts(one)).toEqual(['n1', 'n2', 'n3']);
    await broker.settlement.ack('screens', handles(one));
    const two = await broker.consumer.receive('screens', { clientId: 'screen-2', maxMessages: 10 });
    expect(texts(two)).toEqual(['n1', 'n2', 'n3']);
    expect(await broker.consumer.receive('screens', { clientId: 'screen-1', maxMessages: 10 })).toEqual([]);
    await expect(broker.consumer.receive('screens', {})).rejects.toMatchObject({ code: 'INVALID_CLIENT_ID' });
  });

  it('fans out to every subscribed group; a group sees only what was sent after it subscribed', async () => {
    const { broker } = setup();
    await broker.catalog.putTopic('orders', { queueCount: 4 });
    await broker.producer.send('orders', [outgoing('before any group')]);
    for (const group of ['billing', 'shipping']) {
      await broker.catalog.putGroup(group, { subscriptions: [{ topic: 'orders', tagExpression: '*' }] });
    }
    await broker.producer.send('orders', [
      outgoing('o1'),
      outgoing('o2'),
      outgoing('o3'),
      outgoing('o4'),
      outgoing('o5'),
    ]);
    for (const group of ['billing', 'shipping']) {
      const received = await broker.consumer.receive(group, { maxMessages: 32 });
      expect(texts(received)).toEqual(['o1', 'o2', 'o3', 'o4', 'o5']);
      expect((await broker.settlement.ack(group, handles(received))).every((r) => r.ok)).toBe(true);
    }
  });

  it('stores an idempotent send once and returns the first result for the repeat', async () => {
    const { broker } = await ordersAndBilling();
    const [first] = await broker.producer.send('orders', [outgoing('pay', { messageId: 'payment-42' })]);
    const [repeat] = await broker.producer.send('orders', [outgoing('pay again', { messageId: 'payment-42' })]);
    expect(first?.duplicate).toBe(false);
    expect(repeat).toEqual({ ...first, duplicate: true });
    const received = await broker.consumer.receive('billing', { maxMessages: 10 });
    expect(texts(received)).toEqual(['pay']);
  });
});
