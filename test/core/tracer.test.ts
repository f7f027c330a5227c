import { afterEach, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { createBroker } from '../../src/core/broker.ts';
import { ManualClock } from '../support/manual-clock.ts';

const encoder = new TextEncoder();
let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
});

/** A real SQLite store whose trace writes fail (a full disk, a throttled table): a fault, not a stand-in. */
function brokerWithFailingTrace() {
  store = openSqliteStore({ path: ':memory:' });
  const failing = Object.assign(Object.create(store) as SqliteStore, {
    appendTrace: () => Promise.reject(new Error('trace write refused')),
  });
  const clock = new ManualClock();
  return createBroker({
    timers: systemTimers,
    store: failing,
    clock,
    ids: randomIds(),
    notifier: new InProcessNotifier(),
  });
}

it('keeps receive and ack working when trace writes fail, and counts the failures', async () => {
  const broker = brokerWithFailingTrace();
  await broker.catalog.putTopic('orders', { queueCount: 1 });
  await broker.catalog.putGroup('billing', { subscriptions: [{ topic: 'orders', tagExpression: '*' }] });
  const [sent] = await broker.producer.send('orders', [{ body: encoder.encode('kept') }]);
  const received = await broker.consumer.receive('billing', { maxMessages: 1 });
  expect(received.map((message) => message.msgId)).toEqual([sent?.msgId]);
  const [acked] = await broker.settlement.ack('billing', [received[0]?.receiptHandle ?? '']);
  expect(acked?.ok).toBe(true);
  await broker.tracer.settled();
  expect(broker.tracer.failures).toBe(2); // DELIVERED and ACKED were not recorded
  // The message and its trace answer still: the send is its own SENT record.
  const trace = await broker.queries.traceMessage(sent?.msgId ?? '');
  expect(trace.events.map((event) => event.type)).toEqual(['SENT']);
  expect(await broker.consumer.receive('billing')).toEqual([]);
});
