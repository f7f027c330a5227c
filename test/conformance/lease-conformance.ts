import { expect, it } from 'vitest';
import type { Lease, LeaseKey } from '../../src/core/ports/store.ts';
import { decodeReceiptHandle, encodeReceiptHandle } from '../../src/core/receipt-handle.ts';
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
    const claimed = await store.claim({ consumer: lane, topic, queueId: 0, fromOffset: 0, toOffset: 3, leases: held });
    if (!claimed) throw new Error('the claim from the current cursor failed');
    // The store answers the leases as given, in order, each with the reference it chose.
    expect(claimed).toEqual(held.map((given, i) => ({ ...given, batchId: claimed[i]?.batchId })));
    expect((await store.getCursors(lane, topic)).get(0)).toBe(3);
    expect(byPosition(await allLeases(store, lane))).toEqual(claimed);
    const stale = [lease(ctx(), lane, topic, 0, 1)];
    expect(await store.claim({ consumer: lane, topic, queueId: 0, fromOffset: 0, toOffset: 5, leases: stale })).toBe(
      false,
    );
    expect((await store.getCursors(lane, topic)).get(0)).toBe(3);
    expect(byPosition(await allLeases(store, lane))).toEqual(claimed);
    // A claim that hands nothing out (everything filtered) still moves the cursor.
    expect(await store.claim({ consumer: lane, topic, queueId: 0, fromOffset: 3, toOffset: 8, leases: [] })).toEqual(
      [],
    );
    expect((await store.getCursors(lane, topic)).get(0)).toBe(8);
  });

  it('answers the reference it chose, and a receipt handle built from it settles the lease', async () => {
    const { store, clock } = ctx();
    const lane = ctx().name('lane');
    const topic = ctx().name('ref');
    await store.initCursors(lane, topic, new Map([[0, 0]]));
    const given = [lease(ctx(), lane, topic, 0, 0, { batchId: 'not-the-stores' }), lease(ctx(), lane, topic, 0, 1)];
    const claimed = await store.claim({ consumer: lane, topic, queueId: 0, fromOffset: 0, toOffset: 2, leases: given });
    if (!claimed) throw new Error('the claim from the current cursor failed');
    const [first, second] = claimed as [Lease, Lease];
    // A reference a client could not have made up: the store chose it, and it finds the lease.
    expect(await store.getLease(first)).toEqual(first);
    const handle = decodeReceiptHandle(encodeReceiptHandle(first));
    expect(handle).toEqual({ ...leaseKeyOf(first), token: first.token });
    expect(await store.deleteLeases([{ key: handle, token: handle.token }])).toEqual([true]);
    expect(await store.getLease(first)).toBeUndefined();
    // The handle of the other lease extends it (as a nack or a visibility change would).
    const other = decodeReceiptHandle(encodeReceiptHandle(second));
    const update = { visibleAt: clock.now() + 60_000, token: 'token-ref' };
    expect(await store.updateLease(other, other.token, update)).toBe(true);
    expect(await store.getLease(second)).toEqual({ ...second, ...update });
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
      expect(wonA === false).not.toBe(wonB === false);
      const winner = wonA || wonB;
      if (!winner) throw new Error('neither claim won');
      expect((await store.getCursors(lane, topic)).get(0)).toBe(wonA ? 6 : 7);
      expect(byPosition(await allLeases(store, lane))).toEqual(winner);
      expect(winner.map((held) => held.token)).toEqual((wonA ? a : b).map((held) => held.token));
      // The next claim goes on from where the winner left the cursor.
      const from = wonA ? 6 : 7;
      const next = lease(ctx(), lane, topic, 0, from);
      const claimed = await store.claim({
        consumer: lane,
        topic,
        queueId: 0,
        fromOffset: from,
        toOffset: from + 1,
        leases: [next],
      });
      expect(claimed).toEqual([{ ...next, batchId: expect.any(String) }]);
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

  it('settles a message named twice in one call, by a stale handle first and its live one after', async () => {
    const { store, clock } = ctx();
    const lane = ctx().name('lane');
    const topic = ctx().name('twice');
    const held = lease(ctx(), lane, topic, 0, 0);
    const other = lease(ctx(), lane, topic, 0, 1);
    await holdLeases(store, lane, topic, 0, [held, other]);
    // A change of invisible duration gives the message a new token; the old handle goes stale.
    const update = { visibleAt: clock.now() + 60_000, token: 'token-live' };
    expect(await store.updateLease(held, held.token, update)).toBe(true);
    const results = await store.deleteLeases([
      { key: held, token: held.token },
      { key: held, token: update.token },
      { key: held, token: update.token },
    ]);
    expect(results).toEqual([false, true, false]);
    expect(await allLeases(store, lane)).toEqual([other]);
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
    const inFlight = lease(ctx(), lane, topic, 1, 0, { messageGroup: 'a', visibleAt: now + 30_000 });
    const parked = lease(ctx(), lane, topic, 1, 2, {
      messageGroup: 'a',
      attempt: 0,
      visibleAt: now + 9 * DAY,
    });
    const other = lease(ctx(), lane, topic, 1, 1, { messageGroup: 'b', visibleAt: now - 1 });
    await holdLeases(store, lane, topic, 1, [inFlight, parked, other]);
    // Queue 10 must not show up in queue 1's listing (nor the other way round).
    const tenth = lease(ctx(), lane, topic, 10, 0, { messageGroup: 'a' });
    await holdLeases(store, lane, topic, 10, [tenth]);
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

function leaseKeyOf(held: Lease): LeaseKey {
  return {
    consumer: held.consumer,
    topic: held.topic,
    queueId: held.queueId,
    queueOffset: held.queueOffset,
    batchId: held.batchId,
  };
}
