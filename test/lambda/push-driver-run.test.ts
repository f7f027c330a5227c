import { beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { type Broker, createBroker } from '../../src/core/broker.ts';
import type { PushTarget } from '../../src/core/push-delivery.ts';
import { pushLockName } from '../../src/core/push-run-lock.ts';
import { PendingNudge, pendingNudgeName } from '../../src/push/pending-nudge.ts';
import { type PushDriverReport, runPushDriver } from '../../src/push/push-driver-run.ts';
import { ManualClock } from '../support/manual-clock.ts';

const text = new TextEncoder();
const subscription = { group: 'billing', batchSize: 1, maxConcurrency: 1, invisibleDurationMs: 60_000 };

/**
 * The pending flag that keeps a nudge from being lost while a driver run holds the
 * subscription's lock, on the real SQLite store (the DynamoDB store runs the same lock
 * conformance suite, and test/functions/push-stream.test.ts runs this path on it end to end).
 */
describe('nudges of a push subscription', () => {
  let clock: ManualClock;
  let broker: Broker;
  let flag: PendingNudge;

  beforeEach(async () => {
    clock = new ManualClock();
    const store = openSqliteStore({ path: ':memory:' });
    broker = createBroker({ timers: systemTimers, store, clock, ids: randomIds(), notifier: new InProcessNotifier() });
    await broker.catalog.putTopic('orders', { queueCount: 2 });
    await broker.catalog.putGroup('billing', { subscriptions: [{ topic: 'orders', tagExpression: '*' }] });
    flag = new PendingNudge(store, clock, pendingNudgeName(pushLockName(subscription)));
  });

  const send = (bodies: string[]) =>
    broker.producer.send(
      'orders',
      bodies.map((body) => ({ body: text.encode(body) })),
    );

  it('keeps a flag that any number of marks set once and one take clears', async () => {
    expect(await flag.take()).toBe(false);
    await flag.mark();
    await flag.mark();
    expect(await flag.take()).toBe(true);
    expect(await flag.take()).toBe(false);
    // A take that found nothing does not block the next mark.
    await flag.mark();
    expect(await flag.take()).toBe(true);
  });

  it('a nudge that meets a running driver is skipped, and the running driver delivers again before it exits', async () => {
    await send(['first']);
    const gate = Promise.withResolvers<void>();
    const seen: string[] = [];
    let nudge: Promise<PushDriverReport> | undefined;
    const target: PushTarget = {
      async invoke(batch) {
        seen.push(...batch.messages.map((message) => new TextDecoder().decode(message.body)));
        if (!nudge) {
          // A message arrives while the run delivers, and its nudge finds the run lock held.
          await send(['second']);
          nudge = runPushDriver(broker, subscription, target, { deadline: clock.now() + 50_000 }, { nudged: true });
          await gate.promise;
        }
        return { failedMsgIds: [] };
      },
    };
    const running = runPushDriver(broker, subscription, target, { deadline: clock.now() + 50_000 }, { nudged: false });
    await waitUntil(() => nudge !== undefined);
    const skipped = await (nudge as unknown as Promise<PushDriverReport>);
    expect(skipped).toMatchObject({ skipped: 'another-run-in-progress', passes: 1, delivered: 0 });
    gate.resolve();
    const report = await running;
    // The run took the flag the nudge left and made a second pass before it freed the subscription.
    expect(report.passes).toBe(2);
    expect(report).toMatchObject({ delivered: 2, acked: 2 });
    expect(seen).toEqual(['first', 'second']);
    expect(await flag.take()).toBe(false);
  });

  it('a run whose extra pass meets another run puts the flag back, so the holder delivers what the flag stood for', async () => {
    // A finishes a pass and frees the lock; C takes the lock, finds nothing and is about to
    // free it; M is sent and its nudge B finds C holding the lock; then A takes the flag, and
    // its extra pass meets C. C's last receive came before M: someone must still deliver M.
    const paused = new Map<string, { reached: PromiseWithResolvers<void>; go: PromiseWithResolvers<void> }>();
    const pause = (owner: string) => {
      const gates = { reached: Promise.withResolvers<void>(), go: Promise.withResolvers<void>() };
      paused.set(owner, gates);
      return gates;
    };
    const store = broker.store;
    const runLock = pushLockName(subscription);
    const hooked = new Proxy(store, {
      get(target, property) {
        const value = Reflect.get(target, property);
        if (property !== 'releaseLock') return typeof value === 'function' ? value.bind(target) : value;
        return async (name: string, owner: string) => {
          const gates = name === runLock ? paused.get(owner) : undefined;
          // A pauses after it freed the lock (before it looks at the flag); C before it frees it.
          if (owner === 'A') await store.releaseLock(name, owner);
          gates?.reached.resolve();
          await gates?.go.promise;
          if (owner !== 'A') await store.releaseLock(name, owner);
        };
      },
    });
    const pausedBroker: Broker = { ...broker, store: hooked };
    const seen: string[] = [];
    const target: PushTarget = {
      async invoke(batch) {
        seen.push(...batch.messages.map((message) => new TextDecoder().decode(message.body)));
        return { failedMsgIds: [] };
      },
    };
    const options = (runId: string) => ({ deadline: clock.now() + 50_000, runId });
    const a = pause('A');
    const runA = runPushDriver(pausedBroker, subscription, target, options('A'), { nudged: false });
    await a.reached.promise;
    const c = pause('C');
    const runC = runPushDriver(pausedBroker, subscription, target, options('C'), { nudged: false });
    await c.reached.promise;
    await send(['M']);
    const nudgeB = await runPushDriver(pausedBroker, subscription, target, options('B'), { nudged: true });
    expect(nudgeB.skipped).toBe('another-run-in-progress');
    a.go.resolve();
    await runA;
    c.go.resolve();
    await runC;
    expect(seen).toEqual(['M']);
  });

  it('a nudge that meets a run as its window ends is delivered by that run while the function has time left', async () => {
    await send(['first']);
    const seen: string[] = [];
    let nudged = false;
    const target: PushTarget = {
      async invoke(batch) {
        seen.push(...batch.messages.map((message) => new TextDecoder().decode(message.body)));
        if (!nudged) {
          nudged = true;
          // The run's receive window closes while it delivers; a message and its nudge come just then.
          clock.advance(51_000);
          await send(['late']);
          const skipped = await runPushDriver(
            broker,
            subscription,
            target,
            { deadline: clock.now() + 50_000 },
            { nudged: true },
          );
          expect(skipped.skipped).toBe('another-run-in-progress');
        }
        return { failedMsgIds: [] };
      },
    };
    const report = await runPushDriver(
      broker,
      subscription,
      target,
      { deadline: clock.now() + 50_000 },
      // The push-deliver function has most of its 15 minutes left after one 50 s window.
      { nudged: false, nextDeadline: () => clock.now() + 50_000 },
    );
    expect(seen).toEqual(['first', 'late']);
    expect(report).toMatchObject({ passes: 2, delivered: 2, acked: 2 });
    expect(await flag.take()).toBe(false);
  });

  it('a pass whose window closes right after it took the flag puts the flag back for the next window', async () => {
    await send(['first']);
    const store = broker.store;
    const flagName = pendingNudgeName(pushLockName(subscription));
    let freed = 0;
    let late = false;
    const hooked = new Proxy(store, {
      get(target, property) {
        const value = Reflect.get(target, property);
        if (property !== 'releaseLock') return typeof value === 'function' ? value.bind(target) : value;
        return async (name: string, owner: string) => {
          await store.releaseLock(name, owner);
          // After the first pass: a message and its nudge, which found the run lock held.
          if (name === pushLockName(subscription) && freed++ === 0) {
            await send(['late']);
            await flag.mark();
          }
          // Time runs out between taking the flag and the next pass's first receive (once).
          if (name === flagName && !late) {
            late = true;
            clock.advance(51_000);
          }
        };
      },
    });
    const seen: string[] = [];
    const target: PushTarget = {
      async invoke(batch) {
        seen.push(...batch.messages.map((message) => new TextDecoder().decode(message.body)));
        return { failedMsgIds: [] };
      },
    };
    await runPushDriver(
      { ...broker, store: hooked },
      subscription,
      target,
      { deadline: clock.now() + 50_000 },
      { nudged: false, nextDeadline: () => clock.now() + 50_000 },
    );
    expect(seen).toEqual(['first', 'late']);
  });

  it('without time left, a run whose window ended leaves the flag for the next start', async () => {
    await send(['first']);
    const target: PushTarget = {
      async invoke() {
        clock.advance(51_000);
        await flag.mark();
        return { failedMsgIds: [] };
      },
    };
    const report = await runPushDriver(
      broker,
      subscription,
      target,
      { deadline: clock.now() + 50_000 },
      { nudged: false, nextDeadline: () => undefined },
    );
    expect(report.passes).toBe(1);
    expect(await flag.take()).toBe(true);
  });

  it('a nudged run on an idle subscription delivers at once and leaves no flag behind', async () => {
    await send(['only']);
    const seen: string[] = [];
    const target: PushTarget = {
      async invoke(batch) {
        seen.push(...batch.messages.map((message) => new TextDecoder().decode(message.body)));
        return { failedMsgIds: [] };
      },
    };
    const report = await runPushDriver(
      broker,
      subscription,
      target,
      { deadline: clock.now() + 50_000 },
      { nudged: true },
    );
    expect(seen).toEqual(['only']);
    expect(report).toMatchObject({ delivered: 1, acked: 1 });
    expect(await flag.take()).toBe(false);
  });
});

async function waitUntil(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
