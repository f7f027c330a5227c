import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbStoreOptions } from '../../../src/adapters/dynamodb/index.ts';
import { InProcessNotifier } from '../../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../../src/adapters/system/system-timers.ts';
import { type Broker, createBroker } from '../../../src/core/broker.ts';
import { NimbusError } from '../../../src/core/errors.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

const HOLE_TIMEOUT_MS = 5_000;
const encoder = new TextEncoder();
const text = (body: Uint8Array) => new TextDecoder().decode(body);

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

/** Brokers over separate store instances on shared tables, all on one manual clock. */
async function world(queueCount = 1) {
  const prefix = `f${randomBytes(4).toString('hex')}`;
  const clock = new ManualClock(Date.now());
  const seals: [number, number][] = [];
  const open = async (options: Partial<DynamoDbStoreOptions> = {}): Promise<Broker> => {
    const store = await aws.openStore({
      tablePrefix: prefix,
      holeTimeoutMs: HOLE_TIMEOUT_MS,
      ...options,
      hooks: {
        onSeal: (_topic, _queue, from, to) => seals.push([from, to]),
        monotonicNow: () => clock.now(),
        ...options.hooks,
      },
    });
    return createBroker({ timers: systemTimers, store, clock, ids: randomIds(), notifier: new InProcessNotifier() });
  };
  const admin = await open();
  await admin.catalog.putTopic('orders', { queueCount });
  await admin.catalog.putGroup('billing', { subscriptions: [{ topic: 'orders', tagExpression: '*' }] });
  const send = (broker: Broker, body: string, extra = {}) =>
    broker.producer.send('orders', [{ body: encoder.encode(body), ...extra }]).then(([result]) => result!);
  const receive = (broker: Broker, invisibleDurationMs?: number) =>
    broker.consumer.receive('billing', { maxMessages: 32, invisibleDurationMs });
  return { clock, seals, open, admin, send, receive };
}

describe('DynamoDB store under faults', () => {
  it('a writer killed between reservation and write leaves no permanent hole and loses nothing', async () => {
    const w = await world();
    let armed = false;
    const killer = await w.open({
      hooks: {
        afterReserve: () => {
          if (armed) throw new Error('writer killed after reserving offsets');
        },
      },
    });
    const first = await w.send(w.admin, 'A');
    armed = true;
    await expect(killer.producer.send('orders', [{ body: encoder.encode('lost') }])).rejects.toThrow('writer killed');
    armed = false;
    const after = await w.send(w.admin, 'C');
    expect([first.queueOffset, after.queueOffset]).toEqual([0, 2]);

    const consumer = await w.open();
    expect((await w.receive(consumer)).map((m) => text(m.body))).toEqual(['A']);
    // Offset 1 is missing below the tail: the reader waits...
    expect(await w.receive(consumer)).toEqual([]);
    w.clock.advance(HOLE_TIMEOUT_MS - 1);
    expect(await w.receive(consumer)).toEqual([]);
    expect(w.seals).toEqual([]);
    // ...and after the timeout seals it with a tombstone and moves on.
    w.clock.advance(1);
    const later = await w.receive(consumer);
    expect(later.map((m) => [text(m.body), m.queueOffset])).toEqual([['C', 2]]);
    expect(w.seals).toEqual([[1, 2]]);
    const read = await w.admin.store.readQueue('orders', 0, 0, 10, w.clock.now());
    expect([read.messages.map((m) => text(m.body)), read.nextOffset]).toEqual([['A', 'C'], 3]);
  });

  it('a reader waiting on a hole is not reset by another lane reading the same queue behind it', async () => {
    const w = await world();
    await w.admin.catalog.putGroup('audit', { subscriptions: [{ topic: 'orders', tagExpression: '*' }] });
    const killer = await w.open({
      hooks: {
        afterReserve: () => {
          throw new Error('writer killed');
        },
      },
    });
    await w.send(w.admin, 'A0');
    await w.send(w.admin, 'A1');
    await expect(w.send(killer, 'lost')).rejects.toThrow('writer killed');
    await w.send(w.admin, 'C');
    const consumer = await w.open();
    expect((await w.receive(consumer)).map((m) => text(m.body))).toEqual(['A0', 'A1']);
    expect(await w.receive(consumer)).toEqual([]);
    w.clock.advance(HOLE_TIMEOUT_MS / 2);
    // Another group on the same store instance reads the start of the queue, where there is no gap.
    const audit = await consumer.consumer.receive('audit', { maxMessages: 1 });
    expect(audit.map((m) => text(m.body))).toEqual(['A0']);
    w.clock.advance(HOLE_TIMEOUT_MS / 2);
    expect((await w.receive(consumer)).map((m) => text(m.body))).toEqual(['C']);
    expect(w.seals).toEqual([[2, 3]]);
  });

  it("a late writer's put fails on the reader's tombstone and it re-reserves: stored once, delivered once", async () => {
    const w = await world();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let paused = 0;
    const slow = await w.open({
      hooks: {
        beforePut: async () => {
          if (paused++ === 0) await gate;
        },
      },
    });
    const late = w.send(slow, 'late');
    while (paused === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const onTime = await w.send(w.admin, 'on-time');
    expect(onTime.queueOffset).toBe(1);

    const consumer = await w.open();
    expect(await w.receive(consumer)).toEqual([]);
    w.clock.advance(HOLE_TIMEOUT_MS);
    expect((await w.receive(consumer)).map((m) => text(m.body))).toEqual(['on-time']);
    expect(w.seals).toEqual([[0, 1]]);

    release();
    const stored = await late;
    expect(stored.queueOffset).toBe(2);
    expect(paused).toBe(2);
    const redelivered = await w.receive(consumer);
    expect(redelivered.map((m) => [text(m.body), m.msgId, m.queueOffset])).toEqual([['late', stored.msgId, 2]]);
    const read = await w.admin.store.readQueue('orders', 0, 0, 10, w.clock.now());
    expect(read.messages.map((m) => text(m.body))).toEqual(['on-time', 'late']);
    // The queue's lowest stored offset is past the tombstone at its bottom.
    expect(await w.admin.store.queueOffsets('orders', 1)).toEqual([{ queueId: 0, minOffset: 1, nextOffset: 3 }]);
  });

  it('a consumer that dies holding messages sees them redelivered after the invisible duration', async () => {
    const w = await world(2);
    await Promise.all(['a', 'b', 'c'].map((body) => w.send(w.admin, body)));
    const dying = await w.open();
    const held = await w.receive(dying, 10_000);
    expect(held.map((m) => text(m.body)).sort()).toEqual(['a', 'b', 'c']);
    const survivor = await w.open();
    expect(await w.receive(survivor)).toEqual([]);
    w.clock.advance(9_999);
    expect(await w.receive(survivor)).toEqual([]);
    w.clock.advance(1);
    const again = await w.receive(survivor);
    expect(again.map((m) => [text(m.body), m.deliveryAttempt]).sort()).toEqual([
      ['a', 2],
      ['b', 2],
      ['c', 2],
    ]);
    const acks = await survivor.settlement.ack(
      'billing',
      again.map((m) => m.receiptHandle),
    );
    expect(acks.every((ack) => ack.ok)).toBe(true);
    // The dead consumer's handles are fenced off.
    const stale = await survivor.settlement.ack(
      'billing',
      held.map((m) => m.receiptHandle),
    );
    expect(stale.map((ack) => ack.ok)).toEqual([false, false, false]);
    w.clock.advance(60_000);
    expect(await w.receive(survivor)).toEqual([]);
    expect(await survivor.store.nextLeaseVisibleAt('billing')).toBeUndefined();
  });

  it('two retention sweeps of one queue at once leave one consistent floor', async () => {
    const w = await world();
    const soon = w.clock.now() + 1_000;
    const store = w.admin.store;
    for (let batch = 0; batch < 4; batch++) {
      const messages = Array.from({ length: 8 }, (_, i) => ({
        msgId: `${String(batch).padStart(2, '0')}${String(i).padStart(30, '0')}`,
        topic: 'orders',
        queueId: 0,
        body: encoder.encode(`m${batch}-${i}`),
        keys: [`k${batch}`],
        properties: {},
        bornTimestamp: w.clock.now(),
        storeTimestamp: w.clock.now(),
        // The last batch's second half stays live: the sweep must cut that segment.
        expireAt: batch === 3 && i >= 4 ? soon + 60_000 : soon,
      }));
      await store.append(messages);
    }
    w.clock.set(soon);
    const removed = await Promise.all([store.sweepExpired(soon, 1_000), store.sweepExpired(soon, 1_000)]);
    const more = await store.sweepExpired(soon, 1_000);
    expect(removed[0]! + removed[1]! + more).toBeGreaterThanOrEqual(28);
    expect(await store.sweepExpired(soon, 1_000)).toBe(0);
    expect(await store.queueOffsets('orders', 1)).toEqual([{ queueId: 0, minOffset: 28, nextOffset: 32 }]);
    const read = await store.readQueue('orders', 0, 0, 100, soon);
    expect([read.messages.map((m) => text(m.body)), read.nextOffset]).toEqual([['m3-4', 'm3-5', 'm3-6', 'm3-7'], 32]);
    w.clock.set(soon + 60_000);
    expect(await store.sweepExpired(w.clock.now(), 1_000)).toBe(4);
    expect(await store.queueOffsets('orders', 1)).toEqual([{ queueId: 0, minOffset: 32, nextOffset: 32 }]);
  });

  it('retries injected throttling and surfaces STORE_THROTTLED only when retries run out', async () => {
    const w = await world();
    const seen: string[] = [];
    let throttles = 4;
    const flaky = await w.open({
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      hooks: {
        throttle: (command) => {
          seen.push(command);
          return throttles-- > 0;
        },
      },
    });
    const stored = await w.send(flaky, 'through');
    expect(stored.queueOffset).toBe(0);
    expect(seen.slice(0, 5)).toEqual(Array(5).fill(seen[0]));

    const hopeless = await w.open({
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
      hooks: { throttle: (command) => command === 'UpdateItemCommand' },
    });
    const error = await w.send(hopeless, 'never').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NimbusError);
    expect(error).toMatchObject({ code: 'STORE_THROTTLED', retryable: true });
    expect(await w.admin.store.queueOffsets('orders', 1)).toEqual([{ queueId: 0, minOffset: 0, nextOffset: 1 }]);
  });

  it('a retried send with the same messageId stores once', async () => {
    const w = await world(2);
    const first = await w.send(w.admin, 'pay', { messageId: 'order-42' });
    const retried = await w.send(w.admin, 'pay', { messageId: 'order-42' });
    expect(first.duplicate).toBe(false);
    expect(retried).toEqual({ ...first, duplicate: true });
    const concurrent = await Promise.all(
      Array.from({ length: 6 }, (_, i) => w.send(i % 2 ? w.admin : w.admin, 'ship', { messageId: 'order-43' })),
    );
    expect(concurrent.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(concurrent.map((r) => r.msgId)).size).toBe(1);
    const heads = await w.admin.store.queueOffsets('orders', 2);
    expect(heads.reduce((sum, head) => sum + head.nextOffset, 0)).toBe(2);
  });

  it('a write whose response was lost is retried without storing twice', async () => {
    const w = await world();
    const client = new DynamoDBClient({
      endpoint: aws.dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const dropped: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const output = await next(args);
        const command = context.commandName ?? '';
        if ((command === 'PutItemCommand' || command === 'TransactWriteItemsCommand') && !dropped.includes(command)) {
          dropped.push(command);
          throw Object.assign(new Error('socket hang up after the write'), { name: 'TimeoutError' });
        }
        return output;
      },
      { step: 'initialize', name: 'dropFirstResponse' },
    );
    const lossy = await w.open({ client });
    const plain = await w.send(lossy, 'plain');
    const keyed = await w.send(lossy, 'keyed', { messageId: 'm-1' });
    expect(dropped).toEqual(['PutItemCommand', 'TransactWriteItemsCommand']);
    expect([plain.queueOffset, keyed.queueOffset, keyed.duplicate]).toEqual([0, 1, false]);
    const read = await w.admin.store.readQueue('orders', 0, 0, 10, w.clock.now());
    expect(read.messages.map((m) => text(m.body))).toEqual(['plain', 'keyed']);
    expect(read.nextOffset).toBe(2);
    client.destroy();
  });
});
