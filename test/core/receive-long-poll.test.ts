import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds, systemClock } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { type Broker, createBroker } from '../../src/core/broker.ts';
import type { Notifier } from '../../src/core/ports/notifier.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';

const encoder = new TextEncoder();

let open: BrokerStore[] = [];
afterEach(async () => {
  await Promise.all(open.map((store) => store.close()));
  open = [];
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A broker on the real clock whose sends never wake waiting receivers, so a test decides
 * what a long-poll finds when it wakes (as with a store shared by several processes).
 */
async function quietBroker(): Promise<Broker> {
  const store = openSqliteStore({ path: ':memory:' });
  open.push(store);
  const signals = new InProcessNotifier();
  const notifier: Notifier = { publish: () => {}, wait: (topics, ms, signal) => signals.wait(topics, ms, signal) };
  const broker = createBroker({
    timers: systemTimers,
    store,
    clock: systemClock,
    ids: randomIds(),
    notifier,
    pollIntervalMs: 20,
  });
  await broker.catalog.putTopic('orders', { queueCount: 1 });
  await broker.catalog.putTopic('refunds', { queueCount: 1 });
  await broker.catalog.putGroup('billing', { subscriptions: [{ topic: 'orders', tagExpression: '*' }] });
  return broker;
}

describe('long-poll receive', () => {
  it('claims nothing once the caller went away, so nothing is hidden for nobody', async () => {
    const broker = await quietBroker();
    const caller = new AbortController();
    const receiving = broker.consumer.receive('billing', { waitMs: 5_000, signal: caller.signal });
    await sleep(5);
    await broker.producer.send('orders', [{ body: encoder.encode('for whoever is there') }]);
    caller.abort();
    expect(await receiving).toEqual([]);
    const [message] = await broker.consumer.receive('billing', {});
    expect(message?.deliveryAttempt).toBe(1);
    expect(await broker.consumer.receive('billing', { signal: AbortSignal.abort() })).toEqual([]);
  });

  it('picks up a subscription added while it waits', async () => {
    const broker = await quietBroker();
    const receiving = broker.consumer.receive('billing', { waitMs: 3_000 });
    await sleep(30);
    await broker.catalog.putGroup('billing', {
      subscriptions: [
        { topic: 'orders', tagExpression: '*' },
        { topic: 'refunds', tagExpression: '*' },
      ],
    });
    await broker.producer.send('refunds', [{ body: encoder.encode('refund 7') }]);
    const started = Date.now();
    const messages = await receiving;
    expect(messages.map((m) => m.topic)).toEqual(['refunds']);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('ends with GROUP_NOT_FOUND when its group is deleted meanwhile, leaving no state behind', async () => {
    const broker = await quietBroker();
    const receiving = broker.consumer.receive('billing', { waitMs: 500 });
    await sleep(30);
    await broker.catalog.deleteGroup('billing');
    await broker.producer.send('orders', [{ body: encoder.encode('after the group went') }]);
    await expect(receiving).rejects.toMatchObject({ code: 'GROUP_NOT_FOUND' });
    expect(await broker.store.getCursors('billing', 'orders')).toEqual(new Map());
    expect(await broker.store.dueLeases('billing', Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('does not wait on a signal that was aborted before the wait began', async () => {
    const started = Date.now();
    await new InProcessNotifier().wait(['orders'], 5_000, AbortSignal.abort());
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
