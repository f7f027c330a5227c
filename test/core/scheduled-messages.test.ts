import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { createBroker } from '../../src/core/broker.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { ManualClock } from '../support/manual-clock.ts';

const encoder = new TextEncoder();
const DAY = 86_400_000;

let open: BrokerStore[] = [];
afterEach(async () => {
  await Promise.all(open.map((store) => store.close()));
  open = [];
});

/** A broker over SQLite whose `release` can be made to fail, and a DELAY topic `reminders` with group `notify`. */
async function setup() {
  const clock = new ManualClock();
  const real = openSqliteStore({ path: ':memory:' });
  open.push(real);
  const faults = { failReleases: 0 };
  const store = new Proxy(real, {
    get(target, property, receiver) {
      if (property === 'release' && faults.failReleases > 0) {
        return async () => {
          faults.failReleases--;
          throw new Error('release failed (injected)');
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as BrokerStore;
  const scheduled: { dueAt: number }[] = [];
  const broker = createBroker({
    timers: systemTimers,
    store,
    clock,
    ids: randomIds(),
    notifier: new InProcessNotifier(),
    releaseScheduler: { schedule: async (due) => void scheduled.push(...due) },
  });
  await broker.catalog.putTopic('reminders', { messageType: 'DELAY', queueCount: 1 });
  await broker.catalog.putGroup('notify', { subscriptions: [{ topic: 'reminders', tagExpression: '*' }] });
  return { broker, clock, faults, scheduled, store };
}

describe('scheduled messages', () => {
  it('answers a due send whose release failed (it is held), and releases it on a retry', async () => {
    const { broker, faults, scheduled } = await setup();
    faults.failReleases = 1;
    const send = () =>
      broker.producer.send('reminders', [{ body: encoder.encode('now'), delayMs: 0, messageId: 'm-1' }]);
    const [first] = await send();
    expect(first?.duplicate).toBe(false);
    // The failed release asked the driver to try again at once.
    expect(scheduled).toHaveLength(1);
    const [retry] = await send();
    expect(retry).toMatchObject({ msgId: first?.msgId, duplicate: true });
    const received = await broker.consumer.receive('notify', { maxMessages: 32 });
    expect(received.map((m) => m.msgId)).toEqual([first?.msgId]);
  });

  it('releases nothing before deliverAt, whoever asks', async () => {
    const { broker, clock } = await setup();
    const [sent] = await broker.producer.send('reminders', [{ body: encoder.encode('later'), delayMs: 60_000 }]);
    expect(await broker.scheduled.releaseOne('reminders', sent?.msgId ?? '')).toBe(false);
    expect(await broker.consumer.receive('notify')).toEqual([]);
    clock.advance(60_000);
    expect(await broker.scheduled.releaseOne('reminders', sent?.msgId ?? '')).toBe(true);
    expect(await broker.scheduled.releaseOne('reminders', sent?.msgId ?? '')).toBe(true);
    expect((await broker.consumer.receive('notify', { maxMessages: 32 })).map((m) => m.msgId)).toEqual([sent?.msgId]);
  });

  it('never delivers a message held for a topic that was deleted and created anew', async () => {
    const { broker, clock, store } = await setup();
    const heldAt = clock.now();
    // Created anew well after the hold: more than the clock skew the fence allows for.
    clock.advance(60_000);
    await broker.catalog.deleteTopic('reminders');
    await broker.catalog.putTopic('reminders', { messageType: 'DELAY', queueCount: 1 });
    // What a send racing the delete (in another process) leaves behind: held before the new topic existed.
    const msgId = broker.ids.messageId(heldAt);
    await store.hold([
      {
        kind: 'DELAY',
        dueAt: clock.now(),
        message: {
          msgId,
          topic: 'reminders',
          queueId: 0,
          body: encoder.encode('orphan'),
          keys: [],
          properties: {},
          bornTimestamp: heldAt,
          storeTimestamp: heldAt,
          expireAt: heldAt + DAY,
          deliverAt: clock.now(),
        },
      },
    ]);
    expect((await broker.scheduled.releaseDue()).released).toBe(0);
    expect(await store.getHeld('reminders', msgId, clock.now())).toMatchObject({
      state: 'CANCELLED',
      reason: 'the topic was deleted',
    });
    expect((await store.queueHeads('reminders', 1))[0]).toBe(0);
  });

  it('delivers into a topic created a little later than the hold (clock skew between processes)', async () => {
    const { broker, clock } = await setup();
    // A sender whose clock runs 5 s behind the process that created the topic.
    clock.advance(-5_000);
    const [sent] = await broker.producer.send('reminders', [{ body: encoder.encode('skewed'), delayMs: 1_000 }]);
    clock.advance(6_000);
    expect((await broker.scheduled.releaseDue()).released).toBe(1);
    expect((await broker.consumer.receive('notify')).map((m) => m.msgId)).toEqual([sent?.msgId]);
  });

  it('tells the driver when the next message falls due, ignoring expired records', async () => {
    const { broker, clock } = await setup();
    await broker.producer.send('reminders', [{ body: encoder.encode('a'), delayMs: 5_000 }]);
    expect((await broker.scheduled.releaseDue()).nextDueAt).toBe(clock.now() + 5_000);
    clock.advance(5_000 + 73 * 3_600_000);
    expect(await broker.scheduled.releaseDue()).toEqual({ released: 0, nextDueAt: undefined });
  });
});
