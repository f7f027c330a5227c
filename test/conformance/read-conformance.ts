import { expect, it } from 'vitest';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { type ContextRef, message } from './fixtures.ts';

/** readQueue, getMessages, queueOffsets and the retention sweep. */
export function readConformance(ctx: ContextRef): void {
  /** Appends one message per entry to queue 0: `true` = expires at `expireAt`, `false` = live for a day. */
  async function fill(topic: string, expiring: boolean[], expireAt: number) {
    const results = await ctx().store.append(
      expiring.map((soon) => message(ctx(), topic, 0, soon ? { expireAt } : {})),
    );
    return results.map((r) => r.message);
  }

  const offsetsOf = (read: { messages: { queueOffset: number }[] }) => read.messages.map((m) => m.queueOffset);

  it('reads up to limit messages in offset order and reports where to continue', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('read');
    const stored = await fill(topic, [false, false, false, false, false], 0);
    const now = clock.now();
    const first = await store.readQueue(topic, 0, 0, 2, now);
    expect(offsetsOf(first)).toEqual([0, 1]);
    expect(first.nextOffset).toBe(2);
    expect(first.messages.map((m) => m.msgId)).toEqual(stored.slice(0, 2).map((m) => m.msgId));
    const exact = await store.readQueue(topic, 0, 3, 2, now);
    expect([offsetsOf(exact), exact.nextOffset]).toEqual([[3, 4], 5]);
    const rest = await store.readQueue(topic, 0, 2, 10, now);
    expect([offsetsOf(rest), rest.nextOffset]).toEqual([[2, 3, 4], 5]);
    const end = await store.readQueue(topic, 0, 5, 10, now);
    expect([offsetsOf(end), end.nextOffset]).toEqual([[], 5]);
    const never = await store.readQueue(topic, 1, 0, 10, now);
    expect([offsetsOf(never), never.nextOffset]).toEqual([[], 0]);
  });

  it('skips expired messages but moves nextOffset past them', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('read-exp');
    const expireAt = clock.now() + 1_000;
    await fill(topic, [true, false, true, true, false, true], expireAt);
    const before = await store.readQueue(topic, 0, 0, 10, expireAt - 1);
    expect(offsetsOf(before)).toEqual([0, 1, 2, 3, 4, 5]);
    // expireAt is the first instant at which a message counts as expired.
    const now = expireAt;
    const one = await store.readQueue(topic, 0, 0, 1, now);
    expect([offsetsOf(one), one.nextOffset]).toEqual([[1], 2]);
    const next = await store.readQueue(topic, 0, 2, 10, now);
    expect([offsetsOf(next), next.nextOffset]).toEqual([[4], 6]);
    const tail = await store.readQueue(topic, 0, 5, 10, now);
    expect([offsetsOf(tail), tail.nextOffset]).toEqual([[], 6]);
    const all = await store.readQueue(topic, 0, 0, 10, now);
    expect([offsetsOf(all), all.nextOffset]).toEqual([[1, 4], 6]);
  });

  it('looks messages up by position: undefined where missing or expired, in request order', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('get');
    const expireAt = clock.now() + 1_000;
    const [soon, live] = await fill(topic, [true, false], expireAt);
    const refs = [
      live!,
      { topic, queueId: 0, queueOffset: 99 },
      soon!,
      { topic: ctx().name('none'), queueId: 0, queueOffset: 0 },
    ];
    const before = await store.getMessages(refs, expireAt - 1);
    expect(before.map((m) => m?.msgId)).toEqual([live?.msgId, undefined, soon?.msgId, undefined]);
    const after = await store.getMessages(refs, expireAt);
    expect(after.map((m) => m?.msgId)).toEqual([live?.msgId, undefined, undefined, undefined]);
    expect(await store.getMessages([], clock.now())).toEqual([]);
  });

  it('reports min and next offsets per queue, also for queues never written', async () => {
    const { store } = ctx();
    const topic = ctx().name('heads');
    await store.append([message(ctx(), topic, 0), message(ctx(), topic, 2), message(ctx(), topic, 0)]);
    expect(await store.queueOffsets(topic, 3)).toEqual([
      { queueId: 0, minOffset: 0, nextOffset: 2 },
      { queueId: 1, minOffset: 0, nextOffset: 0 },
      { queueId: 2, minOffset: 0, nextOffset: 1 },
    ]);
    // The cheap view a receive uses to skip empty queues: the next offset per queueId.
    expect(await store.queueHeads(topic, 3)).toEqual([2, 0, 1]);
    expect(await store.queueHeads(ctx().name('never-written'), 2)).toEqual([0, 0]);
  });

  it('sweeps expired messages in pages of at most limit; min offset and reads move past them', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('sweep');
    const expireAt = clock.now() + 1_000;
    const stored = await fill(topic, [true, true, true, false, false], expireAt);
    await store.append([message(ctx(), topic, 1, { expireAt }), message(ctx(), topic, 1, { expireAt })]);
    clock.set(expireAt);
    // The store may be shared with other tests: only "at most limit" and "eventually all" are exact.
    const firstPage = await store.sweepExpired(clock.now(), 2);
    expect(firstPage).toBeGreaterThan(0);
    expect(firstPage).toBeLessThanOrEqual(2);
    await sweepAll(store, clock.now());
    expect(await store.queueOffsets(topic, 2)).toEqual([
      { queueId: 0, minOffset: 3, nextOffset: 5 },
      { queueId: 1, minOffset: 2, nextOffset: 2 },
    ]);
    const read = await store.readQueue(topic, 0, 0, 10, clock.now());
    expect([offsetsOf(read), read.nextOffset]).toEqual([[3, 4], 5]);
    const emptied = await store.readQueue(topic, 1, 0, 10, clock.now());
    expect([offsetsOf(emptied), emptied.nextOffset]).toEqual([[], 2]);
    // Even reading with an earlier `now`, swept messages are gone for good.
    const gone = await store.getMessages(stored, expireAt - 1);
    expect(gone.map((m) => m?.msgId)).toEqual([undefined, undefined, undefined, stored[3]?.msgId, stored[4]?.msgId]);
    // Live messages are never swept, and appends continue after the swept offsets.
    const [later] = await store.append([message(ctx(), topic, 1)]);
    expect(later?.message.queueOffset).toBe(2);
    expect(await store.sweepExpired(clock.now(), 0)).toBe(0);
  });
}

async function sweepAll(store: BrokerStore, now: number): Promise<void> {
  for (let page = 0; page < 10_000; page++) {
    if ((await store.sweepExpired(now, 500)) === 0) return;
  }
  throw new Error('sweepExpired never reported 0');
}
