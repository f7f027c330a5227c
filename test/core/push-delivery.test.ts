import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { type Broker, createBroker } from '../../src/core/broker.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { type PushBatch, PushDelivery, type PushTarget } from '../../src/core/push-delivery.ts';

const text = new TextEncoder();
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A clock the test moves by hand, so backoff and invisibility pass without waiting. */
function manualClock(start = Date.UTC(2030, 0, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** A real function target: processes bodies, fails the ones listed, records every call. */
function recordingTarget(failBodies: ReadonlySet<string> = new Set()) {
  const calls: string[][] = [];
  const target: PushTarget = {
    async invoke(batch: PushBatch) {
      const bodies = batch.messages.map((m) => decode(m.body));
      calls.push(bodies);
      return { failedMsgIds: batch.messages.filter((m) => failBodies.has(decode(m.body))).map((m) => m.msgId) };
    },
  };
  return { target, calls };
}

describe('PushDelivery', () => {
  let clock: ReturnType<typeof manualClock>;
  let store: BrokerStore;
  let broker: Broker;
  let push: PushDelivery;

  beforeEach(async () => {
    clock = manualClock();
    store = openSqliteStore({ path: ':memory:' });
    broker = createBroker({ timers: systemTimers, store, clock, ids: randomIds(), notifier: new InProcessNotifier() });
    push = new PushDelivery(broker);
    await broker.catalog.putTopic('orders', { queueCount: 4 });
    await broker.catalog.putGroup('billing', { subscriptions: [{ topic: 'orders', tagExpression: '*' }] });
  });

  afterEach(async () => {
    await store.close();
  });

  const send = (...bodies: string[]) =>
    broker.producer.send(
      'orders',
      bodies.map((body) => ({ body: text.encode(body) })),
    );
  const deadline = () => clock.now() + 60_000;

  it('delivers every message once in bounded batches and acks them', async () => {
    await send(...Array.from({ length: 25 }, (_, i) => `m${i}`));
    const { target, calls } = recordingTarget();
    const report = await push.run({ group: 'billing', batchSize: 4 }, target, { deadline: deadline() });
    const delivered = calls.flat().sort();
    expect(delivered).toEqual(Array.from({ length: 25 }, (_, i) => `m${i}`).sort());
    expect(Math.max(...calls.map((c) => c.length))).toBeLessThanOrEqual(4);
    expect(report).toMatchObject({ delivered: 25, acked: 25, retried: 0, deadLettered: 0, stale: 0 });
    // Acked means gone: nothing comes back even after the invisible duration passed.
    clock.advance(10 * 60_000);
    expect(await broker.consumer.receive('billing', { maxMessages: 32 })).toEqual([]);
  });

  it('retries only the messages a batch reported failed, after the RocketMQ backoff', async () => {
    await send('ok-1', 'bad', 'ok-2');
    const { target, calls } = recordingTarget(new Set(['bad']));
    const first = await push.run({ group: 'billing', batchSize: 10, maxConcurrency: 1 }, target, {
      deadline: deadline(),
    });
    expect(first).toMatchObject({ delivered: 3, acked: 2, retried: 1 });
    calls.length = 0;
    // Not before the first backoff step (10 s) ...
    clock.advance(9_000);
    await push.run({ group: 'billing' }, target, { deadline: deadline() });
    expect(calls).toEqual([]);
    // ... and then only the failed message, on its second attempt.
    clock.advance(1_000);
    const received: number[] = [];
    const counting: PushTarget = {
      invoke: async (batch) => {
        received.push(...batch.messages.map((m) => m.deliveryAttempt));
        return target.invoke(batch);
      },
    };
    await push.run({ group: 'billing' }, counting, { deadline: deadline() });
    expect(calls).toEqual([['bad']]);
    expect(received).toEqual([2]);
  });

  it('fails the whole batch when the target throws, and reports the error', async () => {
    await send('a', 'b');
    const report = await push.run(
      { group: 'billing', maxConcurrency: 1 },
      {
        invoke: async () => {
          throw new Error('function timed out');
        },
      },
      { deadline: deadline() },
    );
    expect(report).toMatchObject({
      delivered: 2,
      acked: 0,
      retried: 2,
      targetErrors: 1,
      lastError: 'function timed out',
    });
  });

  it('moves a message that keeps failing to the dead-letter queue after maxDeliveryAttempts', async () => {
    await broker.catalog.putGroup('billing', {
      subscriptions: [{ topic: 'orders', tagExpression: '*' }],
      maxDeliveryAttempts: 3,
    });
    await send('poison', 'fine');
    const { target } = recordingTarget(new Set(['poison']));
    const totals = { retried: 0, deadLettered: 0, acked: 0 };
    for (let round = 0; round < 5; round++) {
      const report = await push.run({ group: 'billing' }, target, { deadline: deadline() });
      totals.retried += report.retried;
      totals.deadLettered += report.deadLettered;
      totals.acked += report.acked;
      clock.advance(60 * 60_000);
    }
    expect(totals).toEqual({ retried: 2, deadLettered: 1, acked: 1 });
    const letters = await broker.deadLetters.list('billing');
    expect(letters.map((l) => [decode(l.message?.body ?? new Uint8Array()), l.deliveryAttempts])).toEqual([
      ['poison', 3],
    ]);
  });

  it('keeps at most maxConcurrency invocations in flight', async () => {
    await send(...Array.from({ length: 24 }, (_, i) => `m${i}`));
    let inFlight = 0;
    let maxInFlight = 0;
    const target: PushTarget = {
      async invoke() {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        return { failedMsgIds: [] };
      },
    };
    const report = await push.run({ group: 'billing', batchSize: 2, maxConcurrency: 3 }, target, {
      deadline: deadline(),
    });
    expect(report.acked).toBe(24);
    expect(maxInFlight).toBe(3);
  });

  it('redelivers after a crash between invoke and ack, losing nothing (at-least-once)', async () => {
    await send('x', 'y');
    const { target, calls } = recordingTarget();
    // The driver dies after the target processed the batch, before the ack reached the store.
    const crashing = createBroker({
      timers: systemTimers,
      store: failingDeletes(store),
      clock,
      ids: randomIds(),
      notifier: new InProcessNotifier(),
    });
    await expect(
      new PushDelivery(crashing).run({ group: 'billing', maxConcurrency: 1, invisibleDurationMs: 60_000 }, target, {
        deadline: deadline(),
      }),
    ).rejects.toThrow('connection lost');
    expect(calls.flat().sort()).toEqual(['x', 'y']);
    calls.length = 0;
    // Invisible until the lease runs out; then the next run delivers the batch again and acks it.
    expect((await push.run({ group: 'billing' }, target, { deadline: deadline() })).delivered).toBe(0);
    clock.advance(60_000);
    const report = await push.run({ group: 'billing' }, target, { deadline: deadline() });
    expect(calls.flat().sort()).toEqual(['x', 'y']);
    expect(report).toMatchObject({ delivered: 2, acked: 2 });
  });

  it('refuses settings out of range', async () => {
    const { target } = recordingTarget();
    await expect(push.run({ group: 'billing', batchSize: 0 }, target, { deadline: deadline() })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      push.run({ group: 'billing', maxConcurrency: 1.5 }, target, { deadline: deadline() }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(push.run({ group: 'nobody' }, target, { deadline: deadline() })).rejects.toMatchObject({
      code: 'GROUP_NOT_FOUND',
    });
  });
});

/** The real store, except that acks fail as if the process lost its connection at that moment. */
function failingDeletes(store: BrokerStore): BrokerStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'deleteLeases') return async () => Promise.reject(new Error('connection lost'));
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
