import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapacityKind, DynamoDbStore } from '../../../src/adapters/dynamodb/index.ts';
import { InProcessNotifier } from '../../../src/adapters/system/in-process-notifier.ts';
import { randomIds, systemClock } from '../../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../../src/adapters/system/system-timers.ts';
import { createBroker } from '../../../src/core/broker.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

const MESSAGES = 1_024;
const BATCH = 32;
const SINGLES = 128;

let aws: LocalAws;
let store: DynamoDbStore;
beforeAll(async () => {
  aws = await startLocalAws();
  store = await aws.openStore();
});
afterAll(async () => {
  await aws?.stop();
});

interface PerMessage {
  queues: number;
  path: CapacityKind | 'send+receive+ack' | 'send with messageId';
  wcu: number;
  rcu: number;
}

/** Sends MESSAGES 1 KiB messages in batches of 32, receives them in batches of 32, acks in batches of 32. */
async function measure(queues: number): Promise<PerMessage[]> {
  const broker = createBroker({
    timers: systemTimers,
    store,
    clock: systemClock,
    ids: randomIds(),
    notifier: new InProcessNotifier(),
  });
  const topic = `cap${randomBytes(3).toString('hex')}`;
  await broker.catalog.putTopic(topic, { queueCount: queues });
  await broker.catalog.putGroup(`${topic}-g`, { subscriptions: [{ topic, tagExpression: '*' }] });
  const body = new Uint8Array(randomBytes(1024));
  const rows: PerMessage[] = [];
  const phase = async (path: CapacityKind, work: () => Promise<void>) => {
    store.capacity.reset();
    await work();
    const { wcu, rcu } = store.capacity.snapshot().byKind[path];
    rows.push({ queues, path, wcu: wcu / MESSAGES, rcu: rcu / MESSAGES });
  };
  await phase('send', async () => {
    for (let sent = 0; sent < MESSAGES; sent += BATCH) {
      await broker.producer.send(
        topic,
        Array.from({ length: BATCH }, () => ({ body })),
      );
    }
  });
  const handles: string[] = [];
  await phase('receive', async () => {
    while (handles.length < MESSAGES) {
      const got = await broker.consumer.receive(`${topic}-g`, { maxMessages: BATCH, invisibleDurationMs: 600_000 });
      expect(got.length).toBeGreaterThan(0);
      handles.push(...got.map((m) => m.receiptHandle));
    }
  });
  await phase('ack', async () => {
    for (let i = 0; i < handles.length; i += BATCH) {
      const acks = await broker.settlement.ack(`${topic}-g`, handles.slice(i, i + BATCH));
      expect(acks.every((ack) => ack.ok)).toBe(true);
    }
  });
  const sum = (key: 'wcu' | 'rcu') => rows.reduce((total, row) => total + row[key], 0);
  rows.push({ queues, path: 'send+receive+ack', wcu: sum('wcu'), rcu: sum('rcu') });
  return rows;
}

/** One message per call: send, receive and ack of SINGLES 1 KiB messages on an 8-queue topic. */
async function measureSingles(): Promise<PerMessage[]> {
  const broker = createBroker({
    timers: systemTimers,
    store,
    clock: systemClock,
    ids: randomIds(),
    notifier: new InProcessNotifier(),
  });
  const topic = `one${randomBytes(3).toString('hex')}`;
  await broker.catalog.putTopic(topic, { queueCount: 8 });
  await broker.catalog.putGroup(`${topic}-g`, { subscriptions: [{ topic, tagExpression: '*' }] });
  const body = new Uint8Array(randomBytes(1024));
  const rows: PerMessage[] = [];
  const phase = async (path: CapacityKind, work: () => Promise<void>) => {
    store.capacity.reset();
    await work();
    const { wcu, rcu } = store.capacity.snapshot().byKind[path];
    rows.push({ queues: 8, path, wcu: wcu / SINGLES, rcu: rcu / SINGLES });
  };
  await phase('send', async () => {
    for (let sent = 0; sent < SINGLES; sent++) await broker.producer.send(topic, [{ body }]);
  });
  const handles: string[] = [];
  await phase('receive', async () => {
    while (handles.length < SINGLES) {
      const [got] = await broker.consumer.receive(`${topic}-g`, { maxMessages: 1, invisibleDurationMs: 600_000 });
      if (got) handles.push(got.receiptHandle);
    }
  });
  await phase('ack', async () => {
    for (const handle of handles) expect((await broker.settlement.ack(`${topic}-g`, [handle]))[0]?.ok).toBe(true);
  });
  const sum = (key: 'wcu' | 'rcu') => rows.reduce((total, row) => total + row[key], 0);
  rows.push({ queues: 8, path: 'send+receive+ack', wcu: sum('wcu'), rcu: sum('rcu') });
  return rows;
}

/** Idempotent sends claim their messageId first and complete the claim in one transaction with the segment. */
async function measureIdempotentSend(): Promise<PerMessage> {
  const broker = createBroker({
    timers: systemTimers,
    store,
    clock: systemClock,
    ids: randomIds(),
    notifier: new InProcessNotifier(),
  });
  const topic = `idem${randomBytes(3).toString('hex')}`;
  await broker.catalog.putTopic(topic, { queueCount: 1 });
  const body = new Uint8Array(randomBytes(1024));
  store.capacity.reset();
  for (let sent = 0; sent < MESSAGES; sent += BATCH) {
    await broker.producer.send(
      topic,
      Array.from({ length: BATCH }, (_, i) => ({ body, messageId: `order-${sent + i}` })),
    );
  }
  const { wcu, rcu } = store.capacity.snapshot().byKind.send;
  return { queues: 1, path: 'send with messageId', wcu: wcu / MESSAGES, rcu: rcu / MESSAGES };
}

describe('DynamoDB capacity per 1 KiB message (batches of 32, DynamoDB Local ReturnConsumedCapacity)', () => {
  it('stays within 1.35 WCU and 0.25 RCU end to end, whatever the number of queues, and prints every figure', async () => {
    const rows = [...(await measure(1)), ...(await measure(2)), ...(await measure(8))];
    console.table(
      rows.map((row) => ({ queues: row.queues, path: row.path, wcu: row.wcu.toFixed(3), rcu: row.rcu.toFixed(3) })),
    );
    rows.push(await measureIdempotentSend());
    console.table(
      rows
        .slice(-1)
        .map((row) => ({ queues: row.queues, path: row.path, wcu: row.wcu.toFixed(3), rcu: row.rcu.toFixed(3) })),
    );
    const endToEnd = (queues: number) => rows.find((row) => row.queues === queues && row.path === 'send+receive+ack')!;
    // The floor is 1 WCU (the message written once); one batch per queue gets close to it.
    expect(endToEnd(1).wcu).toBeGreaterThanOrEqual(1);
    // A batch lands on one queue: one segment, one lease item and one cursor move per 32 messages.
    for (const queues of [1, 2, 8]) {
      expect(endToEnd(queues).wcu).toBeLessThanOrEqual(1.35);
      expect(endToEnd(queues).rcu).toBeLessThanOrEqual(0.25);
      // The claim is no transaction: lease item (2) + its index entry (1) + cursor (1) per batch.
      expect(rows.find((row) => row.queues === queues && row.path === 'receive')!.wcu).toBeLessThanOrEqual(0.13);
    }
    // Claim (1) plus a transaction (2x the segment and 2x the record): the price of idempotency.
    expect(rows.at(-1)!.wcu).toBeLessThanOrEqual(5.5);
  }, 120_000);

  it('claims a single message with three write units and receives it with three reads, and prints every figure', async () => {
    const rows = await measureSingles();
    console.table(
      rows.map((row) => ({ queues: row.queues, path: row.path, wcu: row.wcu.toFixed(3), rcu: row.rcu.toFixed(3) })),
    );
    const receive = rows.find((row) => row.path === 'receive')!;
    // Head ADD (1) + segment (2: 1,043 bytes) + by-store-ms entry (1) + a time marker per 128
    // offsets of a queue (a marker per queue-second once made this about 4.4).
    expect(rows.find((row) => row.path === 'send')!.wcu).toBeLessThanOrEqual(4.13);
    // Lease item (1) + its due-leases index entry (1) + cursor (1), no transaction doubling them.
    expect(receive.wcu).toBeLessThanOrEqual(3.05);
    // Cursors (0.5, eventually consistent) + due leases (0.5) + the queue read (0.5); queue heads
    // are read only when this process does not already know the queue in turn holds messages.
    expect(receive.rcu).toBeLessThanOrEqual(1.8);
    // Whole lease item deleted in one request (1) + its index entry (1).
    expect(rows.find((row) => row.path === 'ack')!.wcu).toBeLessThanOrEqual(2);
  }, 120_000);
});
