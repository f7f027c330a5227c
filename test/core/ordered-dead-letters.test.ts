import { afterEach, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { randomIds } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { createBroker } from '../../src/core/broker.ts';
import type { Notifier } from '../../src/core/ports/notifier.ts';
import { ManualClock } from '../support/manual-clock.ts';

/* Dead letters of an orderly group on a FIFO topic: how they leave the group, and how they come back. */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const INVISIBLE_MS = 10_000;
/** Receives never wait: the test moves time itself. */
const idle: Notifier = { publish: () => undefined, wait: async () => undefined };

let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
});

/** A broker with an orderly group of one delivery attempt on a one-queue FIFO topic, and group g's messages m1-m3 sent. */
async function orderlyBroker() {
  store = openSqliteStore({ path: ':memory:' });
  const clock = new ManualClock(Date.now());
  const broker = createBroker({ timers: systemTimers, store, clock, ids: randomIds(), notifier: idle });
  await broker.catalog.putTopic('orders', { queueCount: 1, messageType: 'FIFO' });
  await broker.catalog.putGroup('billing', {
    subscriptions: [{ topic: 'orders', tagExpression: '*' }],
    orderly: true,
    maxDeliveryAttempts: 1,
  });
  const sent = await broker.producer.send(
    'orders',
    ['m1', 'm2', 'm3'].map((body) => ({ body: encoder.encode(body), messageGroup: 'g' })),
  );
  const receive = async () =>
    (await broker.consumer.receive('billing', { maxMessages: 10, invisibleDurationMs: INVISIBLE_MS })).map(
      (message) => ({ ...message, text: decoder.decode(message.body) }),
    );
  const traceTypes = async (msgId: string | undefined) => {
    await broker.tracer.settled();
    return (await broker.queries.traceMessage(msgId ?? '')).events.map((event) => event.type);
  };
  return { broker, clock, sent, receive, traceTypes };
}

it('traces the dead-lettering of an orderly head by the lease-expiry sweep', async () => {
  const { broker, clock, sent, receive, traceTypes } = await orderlyBroker();
  expect((await receive()).map((message) => message.text)).toEqual(['m1']);
  clock.advance(INVISIBLE_MS + 1);
  expect(await broker.maintenance.deadLetterExhausted()).toBe(1);
  expect(await traceTypes(sent[0]?.msgId)).toContain('DEAD_LETTERED');
  // The group goes on with its next message.
  expect((await receive()).map((message) => message.text)).toEqual(['m2']);
});

it('traces the dead-lettering of an orderly head by the next receive', async () => {
  const { clock, sent, receive, traceTypes } = await orderlyBroker();
  expect((await receive()).map((message) => message.text)).toEqual(['m1']);
  clock.advance(INVISIBLE_MS + 1);
  expect((await receive()).map((message) => message.text)).toEqual(['m2']);
  expect(await traceTypes(sent[0]?.msgId)).toContain('DEAD_LETTERED');
});

it('redrives a dead letter of an orderly group back into its message group, in offset order', async () => {
  const { broker, clock, receive } = await orderlyBroker();
  expect((await receive()).map((message) => message.text)).toEqual(['m1']);
  clock.advance(INVISIBLE_MS + 1);
  const [m2] = await receive();
  expect(m2?.text).toBe('m2');
  expect((await broker.deadLetters.redrive('billing')).redriven).toBe(1);
  // m2 is in flight: nothing else of group g goes out, the redriven m1 included.
  expect(await receive()).toEqual([]);
  await broker.settlement.ack('billing', [m2?.receiptHandle ?? '']);
  // The redriven m1 has the lowest offset of the group: it goes first, in its group, then m3.
  const [again] = await receive();
  expect(again?.text).toBe('m1');
  expect(again?.messageGroup).toBe('g');
  expect(await receive()).toEqual([]);
  await broker.settlement.ack('billing', [again?.receiptHandle ?? '']);
  expect((await receive()).map((message) => message.text)).toEqual(['m3']);
});
