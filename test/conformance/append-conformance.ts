import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import type { AppendResult } from '../../src/core/ports/store.ts';
import { type ContextRef, DAY, message, sameBytes, utf8 } from './fixtures.ts';

/** append: dense offsets, idempotency, exact bodies and metadata. */
export function appendConformance(ctx: ContextRef): void {
  it('assigns dense per-queue offsets to hundreds of concurrent appends across queues', async () => {
    const { store } = ctx();
    const topic = ctx().name('dense');
    const single = Array.from({ length: 240 }, (_, i) => store.append([message(ctx(), topic, i % 4)]));
    const batches = Array.from({ length: 40 }, (_, i) =>
      store.append([message(ctx(), topic, i % 4), message(ctx(), topic, (i + 1) % 4), message(ctx(), topic, i % 4)]),
    );
    const results = (await Promise.all([...single, ...batches])).flat();
    expect(results).toHaveLength(360);
    const byQueue = new Map<number, number[]>();
    for (const { message: stored, duplicate } of results) {
      expect(duplicate).toBe(false);
      byQueue.set(stored.queueId, [...(byQueue.get(stored.queueId) ?? []), stored.queueOffset]);
    }
    for (const [, offsets] of byQueue) {
      offsets.sort((a, b) => a - b);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    const heads = await store.queueOffsets(topic, 4);
    expect(heads).toEqual([0, 1, 2, 3].map((q) => ({ queueId: q, minOffset: 0, nextOffset: byQueue.get(q)?.length })));
    // Within one batch, messages for the same queue keep their order.
    for (const batch of await Promise.all(batches)) {
      const [first, , third] = batch as [AppendResult, AppendResult, AppendResult];
      expect(third.message.queueOffset).toBeGreaterThan(first.message.queueOffset);
    }
    // What was reported is what is stored at that position.
    const stored = await store.getMessages(
      results.map((r) => r.message),
      ctx().clock.now(),
    );
    expect(stored.map((m) => m?.msgId)).toEqual(results.map((r) => r.message.msgId));
  });

  it('returns one result per message, in input order, with the message as stored', async () => {
    const { store } = ctx();
    const topic = ctx().name('order');
    const input = [message(ctx(), topic, 0), message(ctx(), topic, 1), message(ctx(), topic, 0)];
    const results = await store.append(input);
    expect(results.map((r) => [r.message.queueId, r.message.queueOffset, r.duplicate])).toEqual([
      [0, 0, false],
      [1, 0, false],
      [0, 1, false],
    ]);
    results.forEach((result, i) => {
      const { body, ...rest } = input[i]!;
      expect(result.message).toMatchObject(rest);
      expect(sameBytes(result.message.body, body)).toBe(true);
    });
  });

  it('stores a repeated (topic, messageId) once and returns the first message (sequential)', async () => {
    const { store } = ctx();
    const topic = ctx().name('idem-seq');
    const other = ctx().name('idem-other');
    const [first] = await store.append([message(ctx(), topic, 0, { messageId: 'order-1', body: utf8('first') })]);
    const [again] = await store.append([message(ctx(), topic, 1, { messageId: 'order-1', body: utf8('second') })]);
    expect(first?.duplicate).toBe(false);
    expect(again?.duplicate).toBe(true);
    expect(again?.message.msgId).toBe(first?.message.msgId);
    expect([again?.message.queueId, again?.message.queueOffset]).toEqual([0, 0]);
    expect(new TextDecoder().decode(again?.message.body)).toBe('first');
    const heads = await store.queueOffsets(topic, 2);
    expect(heads.map((h) => h.nextOffset)).toEqual([1, 0]);
    // The key is scoped to the topic.
    const [elsewhere] = await store.append([message(ctx(), other, 0, { messageId: 'order-1' })]);
    expect(elsewhere?.duplicate).toBe(false);
  });

  it('stores a messageId sent many times concurrently exactly once, across queues', async () => {
    const { store } = ctx();
    const topic = ctx().name('idem-conc');
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => store.append([message(ctx(), topic, i % 3, { messageId: 'pay-7' })])),
    );
    const flat = results.flat();
    expect(flat.filter((r) => !r.duplicate)).toHaveLength(1);
    const winner = flat.find((r) => !r.duplicate)!;
    for (const r of flat) {
      expect([r.message.msgId, r.message.queueId, r.message.queueOffset]).toEqual([
        winner.message.msgId,
        winner.message.queueId,
        winner.message.queueOffset,
      ]);
    }
    const heads = await store.queueOffsets(topic, 3);
    expect(heads.reduce((sum, h) => sum + h.nextOffset, 0)).toBe(1);
  });

  it('treats a repeated messageId inside one batch as a duplicate of the earlier entry', async () => {
    const { store } = ctx();
    const topic = ctx().name('idem-batch');
    const results = await store.append([
      message(ctx(), topic, 0, { messageId: 'x' }),
      message(ctx(), topic, 1, { messageId: 'x' }),
      message(ctx(), topic, 1),
    ]);
    expect(results.map((r) => r.duplicate)).toEqual([false, true, false]);
    expect(results[1]?.message.msgId).toBe(results[0]?.message.msgId);
    const heads = await store.queueOffsets(topic, 2);
    expect(heads.map((h) => h.nextOffset)).toEqual([1, 1]);
  });

  it('lets a new message take the messageId of an expired one', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('idem-exp');
    const [old] = await store.append([message(ctx(), topic, 0, { messageId: 'k', expireAt: clock.now() + 1_000 })]);
    clock.advance(1_000);
    const [fresh] = await store.append([message(ctx(), topic, 0, { messageId: 'k' })]);
    expect(fresh?.duplicate).toBe(false);
    expect(fresh?.message.msgId).not.toBe(old?.message.msgId);
    expect(fresh?.message.queueOffset).toBe(1);
    const [repeat] = await store.append([message(ctx(), topic, 0, { messageId: 'k' })]);
    expect(repeat?.duplicate).toBe(true);
    expect(repeat?.message.msgId).toBe(fresh?.message.msgId);
  });

  it('keeps binary bodies byte-exact, including views into larger buffers', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('bytes');
    const every = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
    const backing = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
    const view = backing.subarray(7, 40);
    const results = await store.append([
      message(ctx(), topic, 0, { body: every }),
      message(ctx(), topic, 0, { body: view }),
    ]);
    const read = await store.readQueue(topic, 0, 0, 10, clock.now());
    const looked = await store.getMessages(
      results.map((r) => r.message),
      clock.now(),
    );
    for (const got of [read.messages, looked]) {
      expect(got[0]?.body).toBeInstanceOf(Uint8Array);
      expect(sameBytes(got[0]!.body, every)).toBe(true);
      expect(got[1]?.body.byteLength).toBe(33);
      expect(sameBytes(got[1]!.body, view)).toBe(true);
    }
  });

  it('stores a 4 MiB body', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('big');
    const body = new Uint8Array(randomBytes(4 * 1024 * 1024));
    const [result] = await store.append([message(ctx(), topic, 0, { body })]);
    const [got] = await store.getMessages([result!.message], clock.now());
    expect(got?.body.byteLength).toBe(body.byteLength);
    expect(sameBytes(got!.body, body)).toBe(true);
    const read = await store.readQueue(topic, 0, 0, 1, clock.now());
    expect(sameBytes(read.messages[0]!.body, body)).toBe(true);
  });

  it('round-trips unicode tags, keys, properties and every optional field', async () => {
    const { store, clock } = ctx();
    const topic = ctx().name('unicode');
    const full = message(ctx(), topic, 0, {
      tag: '标签',
      keys: ['订单-42', 'ключ', '🔑'],
      properties: { 名前: '値 ✓', emoji: '🚀🚀', empty: '', 'quote"s': 'a\\b\n"c"' },
      messageId: 'idem-ü-1',
      messageGroup: 'grp-ß',
      deliverAt: clock.now() + 5_000,
      producerGroup: 'producers-é',
      bornHost: 'host-ñ',
      bornTimestamp: clock.now() - 17,
    });
    const bare = message(ctx(), topic, 0);
    await store.append([full, bare]);
    const read = await store.readQueue(topic, 0, 0, 10, clock.now());
    const [gotFull, gotBare] = read.messages;
    const { body: _fullBody, ...fullMeta } = full;
    expect(gotFull).toMatchObject({ ...fullMeta, queueOffset: 0 });
    expect(gotFull?.keys).toEqual(full.keys);
    expect(gotFull?.properties).toEqual(full.properties);
    for (const field of ['tag', 'messageId', 'messageGroup', 'deliverAt', 'producerGroup', 'bornHost'] as const) {
      expect(gotBare?.[field]).toBeUndefined();
    }
    expect(gotBare?.keys).toEqual([]);
    expect(gotBare?.properties).toEqual({});
    expect(gotBare?.expireAt).toBe(clock.now() + DAY);
  });
}
