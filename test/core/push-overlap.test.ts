import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { type Broker, createBroker } from '../../src/core/broker.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { PushDelivery, type PushTarget } from '../../src/core/push-delivery.ts';
import { pushLockName } from '../../src/core/push-run-lock.ts';
import { ManualClock } from '../support/manual-clock.ts';

const text = new TextEncoder();

/**
 * Counts the invocations in flight across every target it hands out. `holding()` invocations
 * wait until `open()`, like a slow subscribed function; `quick()` ones return at once.
 */
function concurrencyProbe() {
  const probe = { inFlight: 0, maxInFlight: 0, delivered: 0 };
  let gate = Promise.withResolvers<void>();
  const target = (hold: boolean): PushTarget => ({
    async invoke(batch) {
      probe.inFlight++;
      probe.maxInFlight = Math.max(probe.maxInFlight, probe.inFlight);
      try {
        if (hold) await gate.promise;
        probe.delivered += batch.messages.length;
        return { failedMsgIds: [] };
      } finally {
        probe.inFlight--;
      }
    },
  });
  return {
    probe,
    holding: () => target(true),
    quick: () => target(false),
    open: () => gate.resolve(),
    close: () => {
      gate = Promise.withResolvers<void>();
    },
  };
}

describe('push runs of one subscription never overlap', () => {
  let clock: ManualClock;
  let store: BrokerStore;
  let broker: Broker;

  beforeEach(async () => {
    clock = new ManualClock();
    store = openSqliteStore({ path: ':memory:' });
    broker = createBroker({ timers: systemTimers, store, clock, ids: randomIds(), notifier: new InProcessNotifier() });
    await broker.catalog.putTopic('orders', { queueCount: 4 });
    for (const group of ['billing', 'audit']) {
      await broker.catalog.putGroup(group, { subscriptions: [{ topic: 'orders', tagExpression: '*' }] });
    }
    await broker.producer.send(
      'orders',
      Array.from({ length: 20 }, (_, i) => ({ body: text.encode(`m${i}`) })),
    );
  });

  afterEach(async () => {
    await store.close();
  });

  const subscription = { group: 'billing', batchSize: 2, maxConcurrency: 2, invisibleDurationMs: 60_000 };

  it('skips a run while the previous one still has batches in flight, then delivers after it', async () => {
    const { probe, holding, quick, open } = concurrencyProbe();
    // Run 1 receives until its window closes; its two invocations then outlast the window.
    const first = new PushDelivery(broker).run(subscription, holding(), { deadline: clock.now() + 50_000 });
    await vi.waitFor(() => expect(probe.inFlight).toBe(2));
    clock.advance(60_000);

    // The next minute's run (another driver, same store) finds the lock held and receives nothing.
    const second = await new PushDelivery(broker).run(subscription, quick(), { deadline: clock.now() + 50_000 });
    expect(second).toMatchObject({ skipped: 'another-run-in-progress', batches: 0, delivered: 0 });
    expect(probe.maxInFlight).toBe(2);

    open();
    expect(await first).toMatchObject({ batches: 2, delivered: 4, acked: 4 });
    expect((await first).skipped).toBeUndefined();

    // Once run 1 settled and released, the next run delivers the rest, still at most 2 at a time.
    const third = await new PushDelivery(broker).run(subscription, quick(), { deadline: clock.now() + 50_000 });
    expect(third).toMatchObject({ delivered: 16, acked: 16 });
    expect(third.skipped).toBeUndefined();
    expect(probe).toMatchObject({ delivered: 20, maxInFlight: 2 });
  });

  it('of two runs started at once, one delivers everything and the other is skipped', async () => {
    const { probe, quick } = concurrencyProbe();
    const deadline = clock.now() + 50_000;
    const reports = await Promise.all([
      new PushDelivery(broker).run(subscription, quick(), { deadline }),
      new PushDelivery(broker).run(subscription, quick(), { deadline }),
    ]);
    expect(reports.map((report) => report.skipped ?? 'ran').sort()).toEqual(['another-run-in-progress', 'ran']);
    expect(reports.map((report) => report.delivered).sort((a, b) => a - b)).toEqual([0, 20]);
    expect(probe.maxInFlight).toBeLessThanOrEqual(2);
  });

  it('locks per subscription lane: other groups and broadcasting instances run alongside', async () => {
    const { probe, holding, quick, open } = concurrencyProbe();
    const deadline = clock.now() + 50_000;
    const billing = new PushDelivery(broker).run(subscription, holding(), { deadline });
    await vi.waitFor(() => expect(probe.inFlight).toBe(2));
    const audit = await new PushDelivery(broker).run({ ...subscription, group: 'audit' }, quick(), { deadline });
    expect(audit).toMatchObject({ delivered: 20 });
    expect(audit.skipped).toBeUndefined();
    open();
    await billing;
    expect(pushLockName({ group: 'billing' })).not.toBe(pushLockName({ group: 'billing', clientId: 'c1' }));
    expect(pushLockName({ group: 'billing', clientId: 'c1' })).not.toBe(
      pushLockName({ group: 'billing', clientId: 'c2' }),
    );
  });

  it('keeps the lock while a batch outlives the invisible duration, so no later run adds invocations', async () => {
    const { probe, holding, quick, open } = concurrencyProbe();
    const deadline = clock.now() + 1_000;
    const first = new PushDelivery(broker).run({ ...subscription, maxConcurrency: 1 }, holding(), {
      deadline,
      lockCheckIntervalMs: 5,
    });
    await vi.waitFor(() => expect(probe.inFlight).toBe(1));
    // Past half of the lock's life (deadline + 60 s): the run renews it for another 60 s.
    clock.set(deadline + 45_000);
    // Many 5 ms ticks, so the renewal gets through even on a loaded machine.
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The first lock and the batch's lease are both over, but the renewed lock keeps the next run out.
    clock.set(deadline + 90_000);
    const second = await new PushDelivery(broker).run(subscription, quick(), { deadline: clock.now() + 50_000 });
    expect(second).toMatchObject({ skipped: 'another-run-in-progress', delivered: 0 });
    expect(probe.maxInFlight).toBe(1);
    open();
    expect(await first).toMatchObject({ delivered: 2, acked: 2 });
    const third = await new PushDelivery(broker).run(subscription, quick(), { deadline: clock.now() + 50_000 });
    expect(third).toMatchObject({ delivered: 18, acked: 18 });
  });

  it('reports a lost lock when a stalled run finds another run holding it', async () => {
    const { probe, holding, open } = concurrencyProbe();
    const deadline = clock.now() + 1_000;
    const first = new PushDelivery(broker).run(subscription, holding(), { deadline, lockCheckIntervalMs: 5 });
    await vi.waitFor(() => expect(probe.inFlight).toBe(2));
    // The run's lock (deadline + 60 s) runs out before a renewal got through, and another run takes it.
    clock.set(deadline + 60_000);
    expect(await store.acquireLock(pushLockName(subscription), 'later-run', clock.now() + 60_000, clock.now())).toBe(
      true,
    );
    // Many 5 ms ticks, so the renewal gets through even on a loaded machine.
    await new Promise((resolve) => setTimeout(resolve, 500));
    open();
    expect(await first).toMatchObject({ lockLost: true, delivered: 4 });
    // The stalled run leaves the other run's lock alone when it ends.
    expect(await store.acquireLock(pushLockName(subscription), 'third-run', clock.now() + 60_000, clock.now())).toBe(
      false,
    );
  });

  it('keeps the lock after a failure until its other batches in flight settled, then frees it', async () => {
    const { probe, holding, quick, open } = concurrencyProbe();
    let acks = 0;
    const firstAckFails: BrokerStore = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'deleteLeases' && ++acks === 1)
          return async () => Promise.reject(new Error('connection lost'));
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const crashing = createBroker({
      timers: systemTimers,
      store: firstAckFails,
      clock,
      ids: randomIds(),
      notifier: new InProcessNotifier(),
    });
    // The first batch returns at once (its ack fails); the second is still with the slow function.
    let invocations = 0;
    const target: PushTarget = { invoke: (batch) => (invocations++ === 0 ? quick() : holding()).invoke(batch) };
    let settled = false;
    const failing = new PushDelivery(crashing)
      .run(subscription, target, { deadline: clock.now() + 50_000 })
      .finally(() => {
        settled = true;
      });
    await vi.waitFor(() => expect(acks).toBe(1));
    await vi.waitFor(() => expect(probe.inFlight).toBe(1));
    const meanwhile = await new PushDelivery(broker).run(subscription, quick(), { deadline: clock.now() + 50_000 });
    expect(meanwhile.skipped).toBe('another-run-in-progress');
    expect(settled).toBe(false);
    open();
    await expect(failing).rejects.toThrow('connection lost');
    expect(probe.inFlight).toBe(0);
    const next = await new PushDelivery(broker).run(subscription, quick(), { deadline: clock.now() + 50_000 });
    expect(next.skipped).toBeUndefined();
    expect(next.delivered).toBeGreaterThan(0);
  });
});
