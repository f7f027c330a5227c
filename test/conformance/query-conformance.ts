import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import type { TraceRecord } from '../../src/core/ports/store.ts';
import { type ContextRef, holdLeases, lease, message } from './fixtures.ts';

/** A msgId as the broker makes them: its store time in 12 hex digits first (stores may rely on it). */
function timedMsgId(storeTimestamp: number): string {
  return storeTimestamp.toString(16).padStart(12, '0') + randomBytes(10).toString('hex').toUpperCase();
}

/** Query by msgId, key and time; trace records; offset reset, lease counts and lanes. */
export function queryConformance(ctx: ContextRef): void {
  it('finds a live message by msgId, and nothing for an unknown or expired one', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('by-id');
    const now = clock.now();
    const [live, expiring] = await store.append([
      message(ctx(), topic, 1, { msgId: timedMsgId(now), keys: ['k'] }),
      message(ctx(), topic, 1, { msgId: timedMsgId(now), expireAt: now + 1_000 }),
    ]);
    const found = await store.findMessage(live?.message.msgId ?? '', now);
    expect(found).toMatchObject({ msgId: live?.message.msgId, topic, queueId: 1, queueOffset: 0, keys: ['k'] });
    expect(await store.findMessage(timedMsgId(now), now)).toBeUndefined();
    expect(await store.findMessage(expiring?.message.msgId ?? '', now + 1_000)).toBeUndefined();
  });

  it('pages the messages of a key by store time and msgId, skipping expired ones and other topics', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('by-key');
    const other = ctx().name('by-key-other');
    const base = clock.now();
    const at = (i: number) => ({ storeTimestamp: base + i * 10, msgId: timedMsgId(base + i * 10), keys: ['order-1'] });
    await store.append([message(ctx(), topic, 0, at(0)), message(ctx(), topic, 0, at(1))]);
    await store.append([message(ctx(), topic, 1, { ...at(2), expireAt: base + 5 })]);
    await store.append([message(ctx(), topic, 2, at(3)), message(ctx(), topic, 2, { ...at(4), keys: ['x'] })]);
    await store.append([message(ctx(), other, 0, at(5))]);
    const first = await store.findByKey(topic, 'order-1', 2, base + 10);
    expect(first.map((m) => m.storeTimestamp)).toEqual([base, base + 10]);
    const last = first[1];
    const rest = await store.findByKey(topic, 'order-1', 10, base + 10, last);
    expect(rest.map((m) => [m.storeTimestamp, m.queueId])).toEqual([[base + 30, 2]]);
    expect(await store.findByKey(topic, 'nothing', 10, base)).toEqual([]);
  });

  it('finds the first offset of a queue stored at or after a time', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('by-time');
    const base = clock.now();
    for (const [i, count] of [3, 2, 4].entries()) {
      const storeTimestamp = base + i * 2_000;
      await store.append(
        Array.from({ length: count }, () =>
          message(ctx(), topic, 0, { storeTimestamp, msgId: timedMsgId(storeTimestamp) }),
        ),
      );
    }
    expect(await store.offsetForTime(topic, 0, base - 60_000)).toBe(0);
    expect(await store.offsetForTime(topic, 0, base)).toBe(0);
    expect(await store.offsetForTime(topic, 0, base + 1)).toBe(3);
    expect(await store.offsetForTime(topic, 0, base + 2_000)).toBe(3);
    expect(await store.offsetForTime(topic, 0, base + 3_999)).toBe(5);
    expect(await store.offsetForTime(topic, 0, base + 60_000)).toBe(9);
    expect(await store.offsetForTime(topic, 3, base)).toBe(0);
  });

  it('keeps trace records per subject until they expire', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('trace');
    const now = clock.now();
    const msgId = timedMsgId(now);
    const records: TraceRecord[] = [
      { subject: { msgId }, event: { type: 'SCHEDULED', time: now, queueId: 1 }, expireAt: now + 60_000 },
      {
        subject: { topic, queueId: 1, queueOffset: 7 },
        event: { type: 'DELIVERED', time: now + 1, group: 'g', attempt: 1 },
        expireAt: now + 60_000,
      },
      {
        subject: { topic, queueId: 1, queueOffset: 8 },
        event: { type: 'DELIVERED', time: now + 1, group: 'g', attempt: 1 },
        expireAt: now + 60_000,
      },
      {
        subject: { topic, queueId: 1, queueOffset: 7 },
        event: { type: 'ACKED', time: now + 2, group: 'g' },
        expireAt: now + 500,
      },
    ];
    await store.appendTrace(records);
    await store.appendTrace([
      {
        subject: { topic, queueId: 1, queueOffset: 7 },
        event: { type: 'NACKED', time: now + 3, clientId: 'c-1', reason: 'why' },
        expireAt: now + 60_000,
      },
    ]);
    const subjects = [{ msgId }, { topic, queueId: 1, queueOffset: 7 }];
    const types = (list: TraceRecord[]) => list.map((record) => record.event.type).sort();
    const found = await store.listTrace(subjects, now);
    expect(types(found)).toEqual(['ACKED', 'DELIVERED', 'NACKED', 'SCHEDULED']);
    expect(found.find((record) => record.event.type === 'NACKED')?.event).toEqual({
      type: 'NACKED',
      time: now + 3,
      clientId: 'c-1',
      reason: 'why',
    });
    expect(types(await store.listTrace(subjects, now + 500))).toEqual(['DELIVERED', 'NACKED', 'SCHEDULED']);
    expect(await store.listTrace([{ topic, queueId: 2, queueOffset: 7 }], now)).toEqual([]);
  });

  it('resets a lane cursor anywhere and drops its leases on that queue only', async () => {
    const { store } = ctx();
    const topic = ctx().name('reset');
    const lane = ctx().name('g');
    await holdLeases(store, lane, topic, 0, [lease(ctx(), lane, topic, 0, 3), lease(ctx(), lane, topic, 0, 4)]);
    // An orderly receive parks a lease it does not hand out yet (attempt 0).
    await holdLeases(store, lane, topic, 1, [
      lease(ctx(), lane, topic, 1, 0),
      lease(ctx(), lane, topic, 1, 1, { attempt: 0 }),
    ]);
    expect(await store.countLeases(lane, topic)).toEqual(
      new Map([
        [0, { inFlight: 2, parked: 0 }],
        [1, { inFlight: 1, parked: 1 }],
      ]),
    );
    await store.resetCursors(lane, topic, new Map([[0, 1]]));
    expect(await store.getCursors(lane, topic)).toEqual(
      new Map([
        [0, 1],
        [1, 2],
      ]),
    );
    expect(await store.countLeases(lane, topic)).toEqual(new Map([[1, { inFlight: 1, parked: 1 }]]));
    const stale = lease(ctx(), lane, topic, 0, 3);
    expect(await store.getLease(stale)).toBeUndefined();
    // A receive that read the old cursor cannot claim from it any more.
    expect(await store.claim({ consumer: lane, topic, queueId: 0, fromOffset: 5, toOffset: 6, leases: [] })).toBe(
      false,
    );
    expect(await store.claim({ consumer: lane, topic, queueId: 0, fromOffset: 1, toOffset: 2, leases: [] })).toEqual(
      [],
    );
    await store.resetCursors(lane, topic, new Map([[2, 9]]));
    expect((await store.getCursors(lane, topic)).get(2)).toBe(9);
  });

  it('lists the lanes of a group on a topic: the group and its broadcasting instances only', async () => {
    const { store } = ctx();
    const topic = ctx().name('lanes');
    const group = ctx().name('grp');
    for (const lane of [group, `${group}@host-1`, `${group}@host-2`, `${group}2`, `${group}2@host-1`]) {
      await store.initCursors(lane, topic, new Map([[0, 0]]));
    }
    await store.initCursors(`${group}@host-3`, ctx().name('elsewhere'), new Map([[0, 0]]));
    expect(await store.listLanes(group, topic)).toEqual([group, `${group}@host-1`, `${group}@host-2`]);
    expect(await store.listLanes(ctx().name('none'), topic)).toEqual([]);
  });
}
