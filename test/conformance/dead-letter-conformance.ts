import { expect, it } from 'vitest';
import type { DeadLetter } from '../../src/core/model.ts';
import { decodeReceiptHandle, encodeReceiptHandle } from '../../src/core/receipt-handle.ts';
import { allLeases, type ContextRef, deadLetterOf, holdLeases, lease } from './fixtures.ts';

/** Dead-lettering and redrive: both atomic, both conditional. */
export function deadLetterConformance(ctx: ContextRef): void {
  it('dead-letters a lease only with its current token, atomically', async () => {
    const { store } = ctx();
    const group = ctx().name('grp');
    const topic = ctx().name('dlq');
    const held = lease(ctx(), group, topic, 0, 0, { attempt: 16 });
    await holdLeases(store, group, topic, 0, [held]);
    const entry = deadLetterOf(ctx(), group, held);
    expect(await store.deadLetter(held, 'stale-token', entry)).toBe(false);
    expect(await store.listDeadLetters(group, 10)).toEqual([]);
    expect(await allLeases(store, group)).toEqual([held]);
    expect(await store.deadLetter(held, held.token, entry)).toBe(true);
    expect(await allLeases(store, group)).toEqual([]);
    expect(await store.nextLeaseVisibleAt(group)).toBeUndefined();
    expect(await store.listDeadLetters(group, 10)).toEqual([entry]);
    expect(await store.deadLetter(held, held.token, entry)).toBe(false);
    expect(await store.listDeadLetters(group, 10)).toEqual([entry]);
  });

  it("lists a group's dead letters oldest first, up to limit, including its broadcasting lanes", async () => {
    const { store, clock } = ctx();
    const group = ctx().name('grp');
    const other = ctx().name('grp');
    const topic = ctx().name('dlq-list');
    const t = clock.now();
    const lanes = [group, `${group}@client-1`, group, other];
    const held = lanes.map((lane, i) => lease(ctx(), lane, topic, 0, i));
    for (const [i, lane] of lanes.entries()) await holdLeases(store, lane, topic, 0, [held[i]!]);
    const deadAt = [t + 30, t + 10, t + 20, t + 5];
    const entries = held.map((h, i) => deadLetterOf(ctx(), i === 3 ? other : group, h, deadAt[i]));
    for (const [i, h] of held.entries()) expect(await store.deadLetter(h, h.token, entries[i]!)).toBe(true);
    expect(await store.listDeadLetters(group, 10)).toEqual([entries[1], entries[2], entries[0]]);
    expect(await store.listDeadLetters(group, 2)).toEqual([entries[1], entries[2]]);
    expect(await store.listDeadLetters(other, 10)).toEqual([entries[3]]);
    expect(await store.listDeadLetters(ctx().name('grp'), 10)).toEqual([]);
  });

  it('pages through the dead letters with `after`, every letter once, ties on deadAt included', async () => {
    const { store, clock } = ctx();
    const group = ctx().name('grp');
    const topic = ctx().name('dlq-page');
    const t = clock.now();
    const lanes = [group, `${group}@a`, `${group}@a-b`, group, group, `${group}@b`, group];
    const held = lanes.map((lane, i) => lease(ctx(), lane, topic, i % 3 === 0 ? 9 : 10, i));
    for (const [i, lane] of lanes.entries()) await holdLeases(store, lane, topic, held[i]!.queueId, [held[i]!]);
    // Three letters die at the same millisecond: the position decides their order.
    const deadAt = [t + 50, t + 20, t + 20, t + 20, t + 10, t + 40, t + 30];
    const entries = held.map((h, i) => deadLetterOf(ctx(), group, h, deadAt[i]));
    for (const [i, h] of held.entries()) expect(await store.deadLetter(h, h.token, entries[i]!)).toBe(true);

    const seen: DeadLetter[] = [];
    let after: DeadLetter | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await store.listDeadLetters(group, 2, after ? { after } : undefined);
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page);
      after = page.at(-1);
    }
    expect(seen.map((letter) => letter.deadAt)).toEqual([...deadAt].sort((a, b) => a - b));
    expect(new Set(seen.map((letter) => letter.msgId)).size).toBe(entries.length);
    expect(seen).toEqual(expect.arrayContaining(entries));
    expect(await store.listDeadLetters(group, 10)).toEqual(seen);

    // A page may start after a letter that is gone by now (redriven meanwhile).
    const gone = seen[2]!;
    const fresh = { ...held.find((h) => h.msgId === gone.msgId)!, attempt: 0, token: 'redriven' };
    expect(await store.redrive(gone, fresh)).not.toBe(false);
    expect(await store.listDeadLetters(group, 10, { after: gone })).toEqual(seen.slice(3));
    // `after` narrows a msgId search too.
    const named = [seen[1]!.msgId, seen[5]!.msgId];
    expect(await store.listDeadLetters(group, 10, { msgIds: named, after: seen[1]! })).toEqual([seen[5]]);
  });

  it('finds dead letters by msgId among all of the group, not only the first limit', async () => {
    const { store, clock } = ctx();
    const group = ctx().name('grp');
    const topic = ctx().name('dlq-find');
    const t = clock.now();
    const lanes = [group, group, `${group}@client-1`, group];
    const held = lanes.map((lane, i) => lease(ctx(), lane, topic, 0, i));
    for (const [i, lane] of lanes.entries()) await holdLeases(store, lane, topic, 0, [held[i]!]);
    const entries = held.map((h, i) => deadLetterOf(ctx(), group, h, t + 10 * (i + 1)));
    for (const [i, h] of held.entries()) expect(await store.deadLetter(h, h.token, entries[i]!)).toBe(true);
    const [first, , third, fourth] = entries as [DeadLetter, DeadLetter, DeadLetter, DeadLetter];
    const named = [fourth.msgId, third.msgId, 'never-dead-lettered'];
    expect(await store.listDeadLetters(group, 10, { msgIds: named })).toEqual([third, fourth]);
    expect(await store.listDeadLetters(group, 1, { msgIds: named })).toEqual([third]);
    expect(await store.listDeadLetters(group, 10, { msgIds: [first.msgId] })).toEqual([first]);
    expect(await store.listDeadLetters(group, 10, { msgIds: [] })).toEqual([]);
    expect(await store.listDeadLetters(ctx().name('grp'), 10, { msgIds: named })).toEqual([]);
  });

  it('redrives a dead letter atomically into a lease, once', async () => {
    const { store, clock } = ctx();
    const group = ctx().name('grp');
    const lane = `${group}@c1`;
    const topic = ctx().name('redrive');
    const held = lease(ctx(), lane, topic, 2, 5, { attempt: 3 });
    await holdLeases(store, lane, topic, 2, [held]);
    const entry = deadLetterOf(ctx(), group, held);
    await store.deadLetter(held, held.token, entry);
    const { batchId: _held, ...wanted } = { ...held, attempt: 0, visibleAt: clock.now(), token: 'redrive-token' };
    const fresh = await store.redrive(entry, wanted);
    if (!fresh) throw new Error('the redrive of a dead letter failed');
    // The store answers the lease as given, with the reference it chose.
    expect(fresh).toEqual({ ...wanted, batchId: fresh.batchId });
    expect(await store.listDeadLetters(group, 10)).toEqual([]);
    expect(await store.dueLeases(lane, clock.now(), 10)).toEqual([fresh]);
    const again = { ...wanted, token: 'second-token' };
    expect(await store.redrive(entry, again)).toBe(false);
    expect(await allLeases(store, lane)).toEqual([fresh]);
    // A receipt handle built from the answered reference settles the redriven lease.
    const handle = decodeReceiptHandle(encodeReceiptHandle(fresh));
    expect(await store.getLease(handle)).toEqual(fresh);
    expect(await store.deleteLeases([{ key: handle, token: handle.token }])).toEqual([true]);
    expect(await allLeases(store, lane)).toEqual([]);
  });

  it('refuses to redrive what was never dead-lettered', async () => {
    const { store, clock } = ctx();
    const group = ctx().name('grp');
    const topic = ctx().name('redrive-none');
    const held = lease(ctx(), group, topic, 0, 0, { visibleAt: clock.now() });
    expect(await store.redrive(deadLetterOf(ctx(), group, held), held)).toBe(false);
    expect(await allLeases(store, group)).toEqual([]);
  });
}
