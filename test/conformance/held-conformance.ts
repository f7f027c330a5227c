import { expect, it } from 'vitest';
import type { MessageToAppend } from '../../src/core/model.ts';
import type { DuePosition, HeldMessage, MessageToHold } from '../../src/core/ports/store.ts';
import { type ContextRef, DAY, message, sameBytes, utf8 } from './fixtures.ts';

/**
 * Held messages (delayed now, half messages next): hold, list, release exactly once,
 * cancel with one winner against a release. Stores may be shared with other tests, so
 * every listing across topics is filtered to the test's own topic.
 */
export function heldConformance(ctx: ContextRef): void {
  function toHold(topic: string, dueIn: number, overrides: Partial<MessageToAppend> = {}): MessageToHold {
    const dueAt = ctx().clock.now() + dueIn;
    return { kind: 'DELAY', message: message(ctx(), topic, 0, { deliverAt: dueAt, ...overrides }), dueAt };
  }
  const ids = (held: HeldMessage[]) => held.map((entry) => entry.message.msgId);
  const ofTopic = (topic: string) => (held: HeldMessage[]) => held.filter((entry) => entry.message.topic === topic);

  it('holds messages out of every queue and lists them by due time, paged', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('held');
    const rich = toHold(topic, 3_000, {
      tag: 'TagA',
      keys: ['k1', 'k2'],
      properties: { region: 'eu' },
      body: utf8('held body'),
    });
    const batch = [rich, toHold(topic, 1_000), toHold(topic, 2_000), toHold(topic, 2_000)];
    const results = await store.hold(batch);
    expect(results.map((result) => [result.duplicate, result.held.state, result.held.checks])).toEqual(
      batch.map(() => [false, 'HELD', 0]),
    );
    expect((await store.queueHeads(topic, 1))[0]).toBe(0);
    const got = await store.getHeld(topic, rich.message.msgId, clock.now());
    expect(got).toMatchObject({ kind: 'DELAY', state: 'HELD', dueAt: rich.dueAt, checks: 0 });
    expect(got?.message).toMatchObject({ tag: 'TagA', keys: ['k1', 'k2'], properties: { region: 'eu' } });
    expect(sameBytes(got?.message.body ?? new Uint8Array(), utf8('held body'))).toBe(true);
    const byDue = [...batch].sort((a, b) => a.dueAt - b.dueAt || a.message.msgId.localeCompare(b.message.msgId));
    expect(ids(await store.listHeld(topic, 'DELAY', ctx().clock.now(), 10))).toEqual(byDue.map((h) => h.message.msgId));
    expect(await store.listHeld(topic, 'TRANSACTION', ctx().clock.now(), 10)).toEqual([]);
    const first = await store.listHeld(topic, 'DELAY', ctx().clock.now(), 2);
    const last = first.at(-1);
    if (!last) throw new Error('empty first page');
    const rest = await store.listHeld(topic, 'DELAY', ctx().clock.now(), 10, {
      dueAt: last.dueAt,
      msgId: last.message.msgId,
    });
    expect([...ids(first), ...ids(rest)]).toEqual(byDue.map((h) => h.message.msgId));
    expect(await store.getHeld(topic, 'F'.repeat(32), clock.now())).toBeUndefined();
  });

  it('lists due messages of a kind and tells when the next falls due', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('due');
    const soon = toHold(topic, 1_000);
    const later = toHold(topic, 5_000);
    await store.hold([later, soon]);
    const now = clock.now();
    expect(ofTopic(topic)(await store.listDueHeld('DELAY', now, 1_000))).toEqual([]);
    expect(ids(ofTopic(topic)(await store.listDueHeld('DELAY', now + 1_000, 1_000)))).toEqual([soon.message.msgId]);
    expect(ids(ofTopic(topic)(await store.listDueHeld('DELAY', now + 9_000, 1_000)))).toEqual([
      soon.message.msgId,
      later.message.msgId,
    ]);
    expect(ofTopic(topic)(await store.listDueHeld('TRANSACTION', now + 9_000, 1_000))).toEqual([]);
    const next = await store.nextHeldDueAt('DELAY', now);
    expect(next).toBeLessThanOrEqual(soon.dueAt);
    // It is the due time of a message that is really held (the store may hold other tests' too).
    const dueThen = await store.listDueHeld('DELAY', next ?? -1, 10_000);
    expect(dueThen.some((held) => held.dueAt === next)).toBe(true);
  });

  it('pages due messages of every topic with a cursor, by due time, topic, msgId, none twice or left out', async () => {
    const { store, clock } = ctx();
    const [a, b] = [ctx().name('duea'), ctx().name('dueb')];
    const kind = 'TRANSACTION' as const;
    const hold = (topic: string, dueIn: number): MessageToHold => ({ ...toHold(topic, dueIn), kind });
    // Five share one due time across two topics: the cursor must step inside it.
    const batch = [hold(b, 500), hold(a, 500), hold(b, 500), hold(a, 500), hold(a, 500), hold(b, 200), hold(a, 800)];
    await store.hold(batch);
    const now = clock.now() + 1_000;
    const mine = (held: HeldMessage[]) =>
      held.filter((entry) => entry.message.topic === a || entry.message.topic === b);
    const seen: HeldMessage[] = [];
    let after: DuePosition | undefined;
    for (let page = 0; page < 1_000; page++) {
      const due = await store.listDueHeld(kind, now, 2, after);
      if (due.length === 0) break;
      expect(due.length).toBeLessThanOrEqual(2);
      seen.push(...mine(due));
      const last = due[due.length - 1] as HeldMessage;
      after = { dueAt: last.dueAt, topic: last.message.topic, msgId: last.message.msgId };
    }
    const order = (x: MessageToHold) => [x.dueAt, x.message.topic, x.message.msgId] as const;
    const expected = [...batch]
      .sort((x, y) => {
        const [p, q] = [order(x), order(y)];
        return p[0] - q[0] || (p[1] < q[1] ? -1 : p[1] > q[1] ? 1 : p[2] < q[2] ? -1 : p[2] > q[2] ? 1 : 0);
      })
      .map((x) => x.message.msgId);
    expect(ids(seen)).toEqual(expected);
  });

  it('never reports an expired record as held or due', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('expired');
    const held = toHold(topic, 1_777, { expireAt: clock.now() + 5_000 });
    // Due long before any other test's message, so a store that counted it would answer its time.
    const ancient: MessageToHold = { ...toHold(topic, 0, { expireAt: clock.now() + 5_000 }), dueAt: 1 };
    await store.hold([held, ancient]);
    clock.advance(5_000);
    expect(ofTopic(topic)(await store.listDueHeld('DELAY', clock.now(), 1_000))).toEqual([]);
    expect(await store.listHeld(topic, 'DELAY', clock.now(), 10)).toEqual([]);
    const next = await store.nextHeldDueAt('DELAY', clock.now());
    expect(next).not.toBe(ancient.dueAt);
    if (next !== undefined) expect(next).not.toBe(held.dueAt);
    expect((await store.release(topic, held.message.msgId, clock.now())).state).toBe('NOT_FOUND');
  });

  it('releases into the queue once, with the next offset, however often release runs', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('release');
    await store.append([message(ctx(), topic, 0)]);
    const held = toHold(topic, 1_000, { keys: ['order-1'] });
    await store.hold([held]);
    clock.advance(1_000);
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => store.release(topic, held.message.msgId, clock.now())),
    );
    for (const outcome of outcomes) {
      expect(outcome.state).toBe('RELEASED');
      if (outcome.state !== 'RELEASED') continue;
      expect(outcome.message).toMatchObject({
        msgId: held.message.msgId,
        queueOffset: 1,
        storeTimestamp: clock.now(),
        deliverAt: held.dueAt,
      });
    }
    clock.advance(1_000);
    const again = await store.release(topic, held.message.msgId, clock.now());
    expect(again.state === 'RELEASED' && again.message.queueOffset).toBe(1);
    const read = await store.readQueue(topic, 0, 0, 10, clock.now());
    expect(read.messages.map((m) => m.msgId)).toEqual([expect.any(String), held.message.msgId]);
    expect(read.nextOffset).toBe(2);
    expect(await store.getHeld(topic, held.message.msgId, clock.now())).toMatchObject({
      state: 'RELEASED',
      queueOffset: 1,
    });
    expect(await store.listHeld(topic, 'DELAY', ctx().clock.now(), 10)).toEqual([]);
    expect(ofTopic(topic)(await store.listDueHeld('DELAY', clock.now(), 1_000))).toEqual([]);
    const cancel = await store.cancelHeld(topic, held.message.msgId, 'too late', clock.now());
    expect(cancel.state).toBe('RELEASED');
  });

  it('cancels a held message for good: release then appends nothing', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('cancel');
    const held = toHold(topic, 60_000);
    await store.hold([held]);
    const cancelled = await store.cancelHeld(topic, held.message.msgId, 'cancelled by request', clock.now());
    expect(cancelled).toMatchObject({
      state: 'CANCELLED',
      held: { state: 'CANCELLED', reason: 'cancelled by request' },
    });
    expect((await store.cancelHeld(topic, held.message.msgId, 'again', clock.now())).state).toBe('CANCELLED');
    clock.advance(60_000);
    expect((await store.release(topic, held.message.msgId, clock.now())).state).toBe('CANCELLED');
    expect((await store.queueHeads(topic, 1))[0]).toBe(0);
    expect(await store.listHeld(topic, 'DELAY', ctx().clock.now(), 10)).toEqual([]);
    expect((await store.release(topic, 'A'.repeat(32), clock.now())).state).toBe('NOT_FOUND');
    expect((await store.cancelHeld(topic, 'A'.repeat(32), 'x', clock.now())).state).toBe('NOT_FOUND');
  });

  it('lets exactly one of a racing cancel and release win', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('race');
    const held = Array.from({ length: 6 }, () => toHold(topic, 0));
    await store.hold(held);
    let appended = 0;
    for (const entry of held) {
      const [release, cancel] = await Promise.all([
        store.release(topic, entry.message.msgId, clock.now()),
        store.cancelHeld(topic, entry.message.msgId, 'raced', clock.now()),
      ]);
      const releaseWon = release.state === 'RELEASED';
      expect(releaseWon ? cancel.state : release.state).toBe(releaseWon ? 'RELEASED' : 'CANCELLED');
      if (!releaseWon) expect(cancel.state).toBe('CANCELLED');
      if (releaseWon) appended++;
      expect((await store.getHeld(topic, entry.message.msgId, clock.now()))?.state).toBe(
        releaseWon ? 'RELEASED' : 'CANCELLED',
      );
    }
    expect((await store.queueHeads(topic, 1))[0]).toBe(appended);
  });

  it('holds a messageId once until it expires', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('dedup');
    const first = toHold(topic, 5_000, { messageId: 'pay-1', expireAt: clock.now() + DAY });
    const [held] = await store.hold([first]);
    expect(held?.duplicate).toBe(false);
    const repeat = toHold(topic, 9_000, { messageId: 'pay-1' });
    const [again] = await store.hold([repeat]);
    expect(again).toMatchObject({ duplicate: true, held: { message: { msgId: first.message.msgId } } });
    const inBatch = await store.hold([
      toHold(topic, 1_000, { messageId: 'pay-2' }),
      toHold(topic, 2_000, { messageId: 'pay-2' }),
    ]);
    expect(inBatch.map((result) => result.duplicate)).toEqual([false, true]);
    expect(inBatch[1]?.held.message.msgId).toBe(inBatch[0]?.held.message.msgId);
    // Released, the record still answers for the messageId.
    clock.advance(5_000);
    await store.release(topic, first.message.msgId, clock.now());
    const [afterRelease] = await store.hold([toHold(topic, 1_000, { messageId: 'pay-1' })]);
    expect(afterRelease?.duplicate).toBe(true);
    expect(ids(await store.listHeld(topic, 'DELAY', ctx().clock.now(), 10))).toEqual([inBatch[0]?.held.message.msgId]);
    // Expired, it is gone, and the messageId is free again.
    clock.advance(DAY);
    expect(await store.getHeld(topic, first.message.msgId, clock.now())).toBeUndefined();
    expect((await store.release(topic, inBatch[0]?.held.message.msgId ?? '', clock.now())).state).toBe('NOT_FOUND');
    const [fresh] = await store.hold([toHold(topic, 1_000, { messageId: 'pay-1' })]);
    expect(fresh?.duplicate).toBe(false);
  });

  it('reschedules a held message once per expected check count', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('check');
    const half: MessageToHold = { ...toHold(topic, 6_000), kind: 'TRANSACTION' };
    await store.hold([half]);
    const msgId = half.message.msgId;
    expect(await store.rescheduleHeld(topic, msgId, 0, clock.now() + 30_000)).toBe(true);
    expect(await store.rescheduleHeld(topic, msgId, 0, clock.now() + 60_000)).toBe(false);
    expect(await store.getHeld(topic, msgId, clock.now())).toMatchObject({
      kind: 'TRANSACTION',
      checks: 1,
      dueAt: clock.now() + 30_000,
    });
    expect(ids(await store.listHeld(topic, 'TRANSACTION', ctx().clock.now(), 10))).toEqual([msgId]);
    await store.cancelHeld(topic, msgId, 'rolled back', clock.now());
    expect(await store.rescheduleHeld(topic, msgId, 1, clock.now() + 60_000)).toBe(false);
  });

  it('deleting the topic removes its held messages', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('held-del');
    const other = ctx().name('held-keep');
    await store.saveTopic({ name: topic, messageType: 'DELAY', queueCount: 1, retentionMs: DAY, createdAt: 0 });
    const gone = toHold(topic, 1_000);
    const kept = toHold(other, 1_000);
    await store.hold([gone, kept]);
    await store.deleteTopic(topic);
    expect(await store.getHeld(topic, gone.message.msgId, clock.now())).toBeUndefined();
    expect(await store.listHeld(topic, 'DELAY', ctx().clock.now(), 10)).toEqual([]);
    expect(ofTopic(topic)(await store.listDueHeld('DELAY', clock.now() + 1_000, 1_000))).toEqual([]);
    expect((await store.getHeld(other, kept.message.msgId, clock.now()))?.state).toBe('HELD');
  });
}
