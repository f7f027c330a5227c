import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { createBroker } from '../../src/core/broker.ts';
import { ManualClock } from '../support/manual-clock.ts';

/**
 * The broker keeps some state per topic, group or name in process memory (caches, turns,
 * waiters). None of it may grow with every name ever seen: a long-running embedded broker
 * would grow by one entry per request that names a new topic. These tests read the sizes
 * of those private maps directly, as nothing public reports them.
 */
function sizeOf(owner: object, field: string): number {
  const value = (owner as Record<string, unknown>)[field] as { size: number } | undefined;
  if (value === undefined || typeof value.size !== 'number') throw new Error(`no ${field} with a size`);
  return value.size;
}

let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

function brokerOnManualClock() {
  store = openSqliteStore({ path: ':memory:' });
  const clock = new ManualClock();
  const notifier = new InProcessNotifier();
  const broker = createBroker({ timers: systemTimers, store, clock, ids: randomIds(), notifier });
  return { broker, clock, notifier };
}

describe('memory held per name', () => {
  it('keeps catalog lookups of missing topics and groups only for as long as they are trusted', async () => {
    const { broker, clock } = brokerOnManualClock();
    for (let i = 0; i < 10_000; i++) {
      clock.advance(10);
      expect(await broker.catalog.findTopic(`missing-${i}`)).toBeUndefined();
      await expect(broker.catalog.getGroup(`missing-${i}`)).rejects.toMatchObject({ code: 'GROUP_NOT_FOUND' });
    }
    // 10,000 names over 100 s; the cache trusts an answer for 2 s, so about 200 are current.
    expect(sizeOf(broker.catalog, 'topics')).toBeLessThanOrEqual(1_024);
    expect(sizeOf(broker.catalog, 'groups')).toBeLessThanOrEqual(1_024);
  });

  it('still answers from the cache within its time, and from the store after it', async () => {
    const { broker, clock } = brokerOnManualClock();
    await broker.catalog.putTopic('orders', { queueCount: 2 });
    await store?.deleteTopic('orders');
    // Deleted behind the cache's back (as another process would): trusted for 2 s.
    expect((await broker.catalog.findTopic('orders'))?.queueCount).toBe(2);
    for (let i = 0; i < 3_000; i++) await broker.catalog.findTopic(`other-${i}`);
    expect((await broker.catalog.findTopic('orders'))?.queueCount).toBe(2);
    clock.advance(2_000);
    expect(await broker.catalog.findTopic('orders')).toBeUndefined();
  });

  it('keeps producer group lookups of unregistered names only for as long as they are trusted', async () => {
    const { broker, clock } = brokerOnManualClock();
    for (let i = 0; i < 10_000; i++) {
      clock.advance(10);
      expect(await broker.producerGroups.find(`unregistered-${i}`)).toBeUndefined();
    }
    expect(sizeOf(broker.producerGroups, 'cache')).toBeLessThanOrEqual(1_024);
  });

  it('keeps no notifier entry for a topic once its waiters timed out or went away', async () => {
    const notifier = new InProcessNotifier();
    await Promise.all(Array.from({ length: 1_000 }, (_, i) => notifier.wait([`topic-${i}`, 'shared'], 1)));
    const caller = new AbortController();
    const waiting = Promise.all(
      Array.from({ length: 1_000 }, (_, i) => notifier.wait([`t-${i}`], 60_000, caller.signal)),
    );
    caller.abort();
    await waiting;
    expect(sizeOf(notifier, 'waiters')).toBe(0);
  });

  it('keeps a woken topic waitable: a wait after a publish is woken by the next publish', async () => {
    const notifier = new InProcessNotifier();
    const first = notifier.wait(['orders'], 60_000);
    notifier.publish('orders');
    await first;
    expect(sizeOf(notifier, 'waiters')).toBe(0);
    const second = notifier.wait(['orders'], 60_000);
    notifier.publish('orders');
    await second;
    expect(sizeOf(notifier, 'waiters')).toBe(0);
  });

  it('bounds the producer queue turns over topics sent to once and deleted', async () => {
    const { broker } = brokerOnManualClock();
    const body = new TextEncoder().encode('x');
    for (let i = 0; i < 10_050; i++) {
      await broker.catalog.putTopic(`t${i}`, { queueCount: 2 });
      await broker.producer.send(`t${i}`, [{ body }]);
      await broker.catalog.deleteTopic(`t${i}`);
    }
    expect(sizeOf(broker.producer, 'nextQueue')).toBeLessThanOrEqual(10_001);
  }, 120_000);
});
