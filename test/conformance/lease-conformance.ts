import { expect, it } from 'vitest';
import { allLeases, byPosition, type ContextRef, DAY, holdLeases, lease } from './fixtures.ts';

/** Cursors, the conditional claim, and lease visibility, fencing and deletion. */
export function leaseConformance(ctx: ContextRef): void {
  it('initCursors sets only cursors the lane does not have yet', async () => {
    const { store } = ctx();
    const lane = ctx().name('lane');
    const topic = ctx().name('cur');
    expect((await store.getCursors(lane, topic)).size).toBe(0);
    await store.initCursors(
      lane,
      topic,
      new Map([
        [0, 5],
        [1, 7],
      ]),
    );
    await store.initCursors(
      lane,
      topic,
      new Map([
        [0, 9],
        [2, 3],
      ]),
    );
    expect(new Map(await store.getCursors(lane, topic))).toEqual(
      new Map([
        [0, 5],
        [1, 7],
        [2, 3],
      ]),
    );
    // Cursors are per (lane, topic).
    expect((await store.getCursors(lane, ctx().name('cur-other'))).size).toBe(0);
    expect((await store.getCursors(ctx().name('lane-other'), topic)).size).toBe(0);
  });

  it('claims only from the current cursor and stores the leases with it', async () => {
    const { store } = ctx();
    const lane = ctx().name('lane');
    const topic = ctx().name('claim');
    await store.initCursors(lane, topic, new Map([[0, 0]]));
    const held = [lease(ctx(), lane, topic, 0, 0), lease(ctx(), lane, topic, 0, 2)];
    expect(await store.claim({ consumer: lane, topic, queueId: 0, fromOffset: 0, toOffset: 3, leases: held })).toBe(
      true,
    );
    expect((await store.getCursors(lane, topic)).get(0)).toBe(3);
    expect(byPosition(await allLeases(store, lane))).toEqual(held);
    const stale = [lease(ctx(), lane, topic, 0, 1)];
    expect(await store.claim({ consumer: lane, topic, queueId: 0, fromOffset: 0, toOffset: 5, leases: stale })).toBe(
      false,
    );
    expect((await store.getCursors(lane, topic)).get(0)).toBe(3);
    expect(byPosition(await allLeases(store, lane))).toEqual(held);
    // A claim that hands nothing out (everything filtered) still moves the cursor.
    expect(await store.claim({ consumer: lane, topic, queueId: 0, fromOffset: 3, toOffset: 8, leases: [] })).toBe(true);
    expect((await store.getCursors(lane, topic)).get(0)).toBe(8);
  });

  it('lets exactly one of two concurrent claims from the same offset win', async () => {
    const { store } = ctx();
    for (let round = 0; round < 5; round++) {
      const lane = ctx().name('lane');
      const topic = ctx().name('race');
      await store.initCursors(lane, topic, new Map([[0, 4]]));
      const a = [lease(ctx(), lane, topic, 0, 4), lease(ctx(), lane, topic, 0, 5)];
      const b = [lease(ctx(), lane, topic, 0, 4), lease(ctx(), lane, topic, 0, 5), lease(ctx(), lane, topic, 0, 6)];
      const [wonA, wonB] = await Promise.all([
        store.claim({ consumer: lane, topic, queueId: 0, fromOffset: 4, toOffset: 6, leases: a }),
        store.claim({ consumer: lane, topic, queueId: 0, fromOffset: 4, toOffset: 7, leases: b }),
      ]);
      expect(wonA !== wonB).toBe(true);
      const winner = wonA ? a : b;
      expect((await store.getCursors(lane, topic)).get(0)).toBe(wonA ? 6 : 7);
      const tokens = (await allLeases(store, lane)).map((held) => held.token);
      expect(tokens.sort()).toEqual(winner.map((held) => held.token).sort());
    }
  });

  it('lets exactly one of two concurrent claims of one batch each (as receives make them) win', async () => {
    const { store } = ctx();
    for (let round = 0; round < 5; round++) {
      const lane = ctx().name('lane');
      const topic = ctx().name('race1');
      await store.initCursors(lane, topic, new Map([[0, 4]]));
      const batch = (count: number) =>
        Array.from({ length: count }, (_, i) => lease(ctx(), lane, topic, 0, 4 + i, { batchId: 'c4' }));
      const [a, b] = [batch(2), batch(3)];
      const [wonA, wonB] = await Promise.all([
        store.claim({ consumer: lane, topic, queueId: 0, fromOffset: 4, toOffset: 6, leases: a }),
        store.claim({ consumer: lane, topic, queueId: 0, fromOffset: 4, toOffset: 7, leases: b }),
      ]);
      expect(wonA !== wonB).toBe(true);
      const winner = wonA ? a : b;
      expect((await store.getCursors(lane, topic)).get(0)).toBe(wonA ? 6 : 7);
      expect(byPosition(await allLeases(store, lane))).toEqual(winner);
      // The next batch goes on from where the winner left the cursor.
      const next = lease(ctx(), lane, topic, 0, wonA ? 6 : 7, { batchId: wonA ? 'c6' : 'c7' });
      const from = wonA ? 6 : 7;
      expect(
        await store.claim({ consumer: lane, topic, queueId: 0, fromOffset: from, toOffset: from + 1, leases: [next] }),
      ).toBe(true);
    }
  });

  it('lists due leases only, earliest visibleAt first, up to limit', async () => {
    const { store, clock } = ctx();
    const lane = ctx().name('lane');
    const topic = ctx().name('due');
    const t = clock.now();
    const held = [
      lease(ctx(), lane, topic, 0, 0, { visibleAt: t + 3_000 }),
      lease(ctx(), lane, topic, 0, 1, { visibleAt: t + 1_000, attempt: 3, batchId: 'batch-x' }),
      lease(ctx(), lane, topic, 0, 2, { visibleAt: t + 2_000 }),
      lease(ctx(), lane, topic, 0, 3, { visibleAt: t + 10_000 }),
    ];
    await holdLeases(store, lane, topic, 0, held);
    expect(await store.dueLeases(lane, t + 999, 10)).toEqual([]);
    expect(await store.dueLeases(lane, t + 2_500, 10)).toEqual([held[1], held[2]]);
    expect(await store.dueLeases(lane, t + 2_000, 1)).toEqual([held[1]]);
    expect(await store.dueLeases(lane, t + 3_000, 10)).toEqual([held[1], held[2], held[0]]);
    expect(await store.nextLeaseVisibleAt(lane)).toBe(t + 1_000);
    expect(await store.nextLeaseVisibleAt(ctx().name('idle'))).toBeUndefined();
    expect(await store.dueLeases(ctx().name('idle'), t + DAY, 10)).toEqual([]);
  });

  it('updates a lease only with its current token', async () => {
    const { store, clock } = ctx();
    const lane = ctx().name('lane');
    const topic = ctx().name('upd');
    const held = lease(ctx(), lane, topic, 1, 0);
    await holdLeases(store, lane, topic, 1, [held]);
    const update = { attempt: 2, visibleAt: clock.now() + 60_000, token: 'token-2' };
    expect(await store.updateLease(held, 'not-the-token', update)).toBe(false);
    expect(await allLeases(store, lane)).toEqual([held]);
    expect(await store.updateLease(held, held.token, update)).toBe(true);
    expect(await allLeases(store, lane)).toEqual([{ ...held, ...update }]);
    expect(await store.updateLease(held, held.token, { ...update, attempt: 9 })).toBe(false);
    expect(await store.nextLeaseVisibleAt(lane)).toBe(update.visibleAt);
    const missing = lease(ctx(), lane, topic, 1, 42);
    expect(await store.updateLease(missing, missing.token, update)).toBe(false);
    expect(await allLeases(store, lane)).toHaveLength(1);
  });

  it('reads one lease back as stored, and keeps the stored attempt when an update names none', async () => {
    const { store, clock } = ctx();
    const lane = ctx().name('lane');
    const topic = ctx().name('get');
    const held = lease(ctx(), lane, topic, 2, 5, { attempt: 4 });
    const other = lease(ctx(), lane, topic, 2, 6, { attempt: 1 });
    await holdLeases(store, lane, topic, 2, [held, other]);
    expect(await store.getLease(held)).toEqual(held);
    expect(await store.getLease(lease(ctx(), lane, topic, 2, 7))).toBeUndefined();
    expect(await store.getLease(lease(ctx(), ctx().name('lane-other'), topic, 2, 5))).toBeUndefined();
    const update = { visibleAt: clock.now() + 90_000, token: 'token-3' };
    expect(await store.updateLease(held, held.token, update)).toBe(true);
    expect(await store.getLease(held)).toEqual({ ...held, ...update, attempt: 4 });
    expect(await store.getLease(other)).toEqual(other);
  });

  it('deletes leases whose tokens match and reports each item', async () => {
    const { store } = ctx();
    const lane = ctx().name('lane');
    const topic = ctx().name('ack');
    const kept = lease(ctx(), lane, topic, 0, 1);
    const acked = lease(ctx(), lane, topic, 0, 0);
    await holdLeases(store, lane, topic, 0, [acked, kept]);
    const missing = lease(ctx(), lane, topic, 0, 7);
    const results = await store.deleteLeases([
      { key: acked, token: acked.token },
      { key: kept, token: 'stale' },
      { key: missing, token: missing.token },
    ]);
    expect(results).toEqual([true, false, false]);
    expect(await allLeases(store, lane)).toEqual([kept]);
    expect(await store.deleteLeases([{ key: acked, token: acked.token }])).toEqual([false]);
    expect(await store.deleteLeases([])).toEqual([]);
  });

  it('lists every lease of one queue with its message group, whatever its visible time', async () => {
    const { store, clock } = ctx();
    const lane = ctx().name('lane');
    const topic = ctx().name('ordered');
    await store.initCursors(
      lane,
      topic,
      new Map([
        [1, 0],
        [10, 0],
      ]),
    );
    const now = clock.now();
    const batch = 'c0';
    const inFlight = lease(ctx(), lane, topic, 1, 0, { batchId: batch, messageGroup: 'a', visibleAt: now + 30_000 });
    const parked = lease(ctx(), lane, topic, 1, 2, {
      batchId: batch,
      messageGroup: 'a',
      attempt: 0,
      visibleAt: now + 9 * DAY,
    });
    const other = lease(ctx(), lane, topic, 1, 1, { batchId: batch, messageGroup: 'b', visibleAt: now - 1 });
    const held = [inFlight, parked, other];
    expect(await store.claim({ consumer: lane, topic, queueId: 1, fromOffset: 0, toOffset: 3, leases: held })).toBe(
      true,
    );
    // Queue 10 must not show up in queue 1's listing (nor the other way round).
    const tenth = lease(ctx(), lane, topic, 10, 0, { batchId: batch, messageGroup: 'a' });
    expect(await store.claim({ consumer: lane, topic, queueId: 10, fromOffset: 0, toOffset: 1, leases: [tenth] })).toBe(
      true,
    );
    expect(await store.queueLeases(lane, topic, 1)).toEqual([inFlight, other, parked]);
    expect(await store.queueLeases(lane, topic, 10)).toEqual([tenth]);
    expect(await store.queueLeases(lane, topic, 2)).toEqual([]);
    // The message group survives an update (a redelivery) and goes with an ack.
    const update = { attempt: 1, visibleAt: now + 60_000, token: ctx().name('t') };
    expect(await store.updateLease(parked, parked.token, update)).toBe(true);
    expect(await store.getLease(parked)).toEqual({ ...parked, ...update });
    expect(await store.deleteLeases([{ key: inFlight, token: inFlight.token }])).toEqual([true]);
    expect(await store.queueLeases(lane, topic, 1)).toEqual([other, { ...parked, ...update }]);
  });
}
