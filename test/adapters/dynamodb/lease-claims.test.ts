import { randomBytes } from 'node:crypto';
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../../src/adapters/dynamodb/client.ts';
import type { DynamoDbStore } from '../../../src/adapters/dynamodb/index.ts';
import { claimBatchId } from '../../../src/adapters/dynamodb/keys.ts';
import { claimItem } from '../../../src/adapters/dynamodb/lease-claims.ts';
import { tableNames } from '../../../src/adapters/dynamodb/table-definitions.ts';
import type { Lease } from '../../../src/core/ports/store.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

/**
 * The claim without a transaction (src/adapters/dynamodb/lease-claims.ts): the lease item
 * is written first, the cursor follows. These tests stop between the two writes, as a
 * crashed receiver would, and race two processes over one lane.
 */
let aws: LocalAws;
let prefix: string;
let store: DynamoDbStore;
let other: DynamoDbStore;
let raw: DynamoDBClient;
beforeAll(async () => {
  aws = await startLocalAws();
  prefix = `lc${randomBytes(3).toString('hex')}`;
  store = await aws.openStore({ tablePrefix: prefix });
  // A second process on the same tables.
  other = await aws.openStore({ tablePrefix: prefix, createTables: false });
  raw = createDynamoClient({ endpoint: aws.dynamo.endpoint, region: 'us-east-1' });
});
afterAll(async () => {
  raw?.destroy();
  await aws?.stop();
});

let names = 0;
function lane(): { lane: string; topic: string } {
  names++;
  return { lane: `lane${names}`, topic: `topic${names}` };
}

function batch(consumer: string, topic: string, from: number, count: number, visibleAt = Date.now() + 60_000): Lease[] {
  return Array.from({ length: count }, (_, i) => ({
    consumer,
    topic,
    queueId: 0,
    queueOffset: from + i,
    // The reference this adapter chooses for a claim's lease item (crashed claims are written raw).
    batchId: claimBatchId(from, count),
    msgId: randomBytes(16).toString('hex').toUpperCase(),
    attempt: 1,
    visibleAt,
    token: randomBytes(12).toString('base64url'),
  }));
}

const claimOf = (leases: Lease[], from: number, to: number) => ({
  consumer: leases[0]!.consumer,
  topic: leases[0]!.topic,
  queueId: 0,
  fromOffset: from,
  toOffset: to,
  leases,
});

describe('DynamoDB claims without a transaction', () => {
  it('finishes the cursor move of a receiver that stopped after writing its lease item', async () => {
    const { lane: consumer, topic } = lane();
    await store.initCursors(consumer, topic, new Map([[0, 0]]));
    // A receiver wrote its lease item for [0, 3) and stopped before moving the cursor.
    const crashed = batch(consumer, topic, 0, 3, Date.now() - 1);
    await raw.send(
      new PutItemCommand({
        TableName: tableNames(prefix).state,
        Item: claimItem(crashed, { from: 0, to: 3, version: 0, claim: 'crashed' }),
      }),
    );
    // The next receiver of the lane finds the item where it would put its own: it moves the
    // cursor on instead of stalling, and does not hand out what the other one holds.
    const next = batch(consumer, topic, 0, 2);
    expect(await other.claim(claimOf(next, 0, 2))).toBe(false);
    expect((await other.getCursors(consumer, topic)).get(0)).toBe(3);
    expect(await other.claim(claimOf(batch(consumer, topic, 3, 1), 3, 4))).not.toBe(false);
    // The crashed claim's leases were never handed out: they come back once due.
    const due = await store.dueLeases(consumer, Date.now(), 10);
    expect(due.map((held) => held.token).sort()).toEqual(crashed.map((held) => held.token).sort());
  });

  it('merges into a lease item left from before the cursor was moved back', async () => {
    const { lane: consumer, topic } = lane();
    await store.initCursors(consumer, topic, new Map([[0, 0]]));
    const first = batch(consumer, topic, 0, 3);
    expect(await store.claim(claimOf(first, 0, 3))).not.toBe(false);
    // An offset reset moves the cursor back to 0 while the first batch is still in flight.
    expect(await store.claim({ consumer, topic, queueId: 0, fromOffset: 3, toOffset: 0, leases: [] })).not.toBe(false);
    const again = batch(consumer, topic, 0, 1);
    expect(await other.claim(claimOf(again, 0, 1))).not.toBe(false);
    expect((await store.getCursors(consumer, topic)).get(0)).toBe(1);
    const held = await store.dueLeases(consumer, Number.MAX_SAFE_INTEGER, 10);
    // Offset 0 now holds the new delivery; 1 and 2 keep the first one's leases.
    expect(held.map((lease) => lease.token).sort()).toEqual([again[0]!.token, first[1]!.token, first[2]!.token].sort());
  });

  it('withdraws its lease item when the cursor moved on meanwhile (a stale cursor read)', async () => {
    const { lane: consumer, topic } = lane();
    await store.initCursors(consumer, topic, new Map([[0, 0]]));
    // This process sees the cursor at 0 ...
    expect((await store.getCursors(consumer, topic)).get(0)).toBe(0);
    // ... while another process claims [0, 2) and acks it, so no item is left at that key.
    const elsewhere = await other.claim(claimOf(batch(consumer, topic, 0, 2), 0, 2));
    if (!elsewhere) throw new Error('the claim from the current cursor failed');
    expect(await other.deleteLeases(elsewhere.map((held) => ({ key: held, token: held.token })))).toEqual([true, true]);
    // This process's put lands (the key is free again), its cursor move fails: it withdraws.
    expect(await store.claim(claimOf(batch(consumer, topic, 0, 2), 0, 2))).toBe(false);
    expect(await store.dueLeases(consumer, Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    expect((await store.getCursors(consumer, topic)).get(0)).toBe(2);
    expect(await store.claim(claimOf(batch(consumer, topic, 2, 1), 2, 3))).not.toBe(false);
  });

  it('lets exactly one of many racing receivers from two processes hand out each offset', async () => {
    const { lane: consumer, topic } = lane();
    await store.initCursors(consumer, topic, new Map([[0, 0]]));
    const handedOut: number[] = [];
    const receiver = async (from: DynamoDbStore) => {
      for (let round = 0; round < 40; round++) {
        const at = (await from.getCursors(consumer, topic)).get(0) ?? 0;
        if (at >= 60) return;
        const count = Math.min(1 + (round % 3), 60 - at);
        const leases = batch(consumer, topic, at, count);
        if (await from.claim(claimOf(leases, at, at + count))) handedOut.push(...leases.map((l) => l.queueOffset));
      }
    };
    await Promise.all([receiver(store), receiver(other), receiver(store), receiver(other)]);
    expect((await store.getCursors(consumer, topic)).get(0)).toBe(60);
    expect(handedOut.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const held = await store.dueLeases(consumer, Number.MAX_SAFE_INTEGER, 100);
    expect(held.map((lease) => lease.queueOffset).sort((a, b) => a - b)).toEqual(handedOut);
  });

  it('lets another process ack a whole batch with one delete: the batch size travels in the reference', async () => {
    const { lane: consumer, topic } = lane();
    await store.initCursors(consumer, topic, new Map([[0, 0]]));
    const claimed = await store.claim(claimOf(batch(consumer, topic, 0, 3), 0, 3));
    if (!claimed) throw new Error('the claim from the current cursor failed');
    expect(claimed.map((held) => held.batchId)).toEqual(['c0.3', 'c0.3', 'c0.3']);
    // `other` never saw the item: without the size in the reference it would remove the
    // entries (one update) and then delete the emptied item (a second write).
    other.capacity.reset();
    expect(await other.deleteLeases(claimed.map((held) => ({ key: held, token: held.token })))).toEqual([
      true,
      true,
      true,
    ]);
    const { byOperation } = other.capacity.snapshot();
    expect(Object.keys(byOperation)).toEqual(['deleteLeases']);
    // One DeleteItem of a small item (1) and its due-leases index entry (1).
    expect(byOperation['deleteLeases']?.wcu).toBe(2);
    expect(await store.dueLeases(consumer, Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('keeps a batch whose reference names more leases than are acked, and settles handles without a size', async () => {
    const { lane: consumer, topic } = lane();
    await store.initCursors(consumer, topic, new Map([[0, 0]]));
    const claimed = await store.claim(claimOf(batch(consumer, topic, 0, 3), 0, 3));
    if (!claimed) throw new Error('the claim from the current cursor failed');
    const [first, second, third] = claimed as [Lease, Lease, Lease];
    expect(await other.deleteLeases([first, second].map((held) => ({ key: held, token: held.token })))).toEqual([
      true,
      true,
    ]);
    expect((await store.dueLeases(consumer, Number.MAX_SAFE_INTEGER, 10)).map((held) => held.queueOffset)).toEqual([2]);
    // A handle issued before batch sizes were in the reference names the item as `c<from>`.
    const legacy = { ...third, batchId: 'c0' };
    expect(await other.getLease(legacy)).toEqual({ ...third });
    expect(await other.deleteLeases([{ key: legacy, token: third.token }])).toEqual([true]);
    expect(await store.dueLeases(consumer, Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });
});
