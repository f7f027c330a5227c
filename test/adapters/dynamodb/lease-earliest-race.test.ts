import { randomBytes } from 'node:crypto';
import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DynamoDbStore, openDynamoDbStore } from '../../../src/adapters/dynamodb/index.ts';
import type { Lease, NewLease } from '../../../src/core/ports/store.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../support/dynamodb-local.ts';

let local: DynamoDbLocal;
let store: DynamoDbStore;
beforeAll(async () => {
  local = await startDynamoDbLocal();
  store = await openDynamoDbStore({
    endpoint: local.endpoint,
    tablePrefix: `r${randomBytes(3).toString('hex')}`,
    createTables: true,
  });
}, 120_000);
afterAll(async () => {
  await store?.close();
  await local?.stop();
});

/**
 * Two leases A and B of one received batch (one lease item), both invisible for 12 h.
 * Concurrently: A is nacked with a 2 h delay, B with delay 0. Both lower the item's earliest
 * time `mv`. When B's update (mv = now) lands between A's failed raising attempt and A's
 * lowering write, A must not set `mv` back up to now + 2 h: the due-leases index (mv <= now)
 * would then hide B from redelivery and dead-lettering for two hours.
 */
it('a lowering lease update never raises the item earliest time above another entry', async () => {
  const lane = `g${randomBytes(3).toString('hex')}`;
  const topic = 'orders';
  const now = Date.now();
  await store.initCursors(lane, topic, new Map([[0, 0]]));
  const lease = (queueOffset: number): NewLease => ({
    consumer: lane,
    topic,
    queueId: 0,
    queueOffset,
    msgId: randomBytes(16).toString('hex').toUpperCase(),
    attempt: 1,
    visibleAt: now + 12 * 3_600_000,
    token: randomBytes(12).toString('base64url'),
  });
  const leases = [lease(0), lease(1)];
  const claimed = await store.claim({ consumer: lane, topic, queueId: 0, fromOffset: 0, toOffset: 2, leases });
  if (!claimed) throw new Error('the claim from the current cursor failed');
  // One lease item per received batch: both leases share it, which is what makes the race.
  const [a, b] = claimed as [Lease, Lease];
  expect(a.batchId).toBe(b.batchId);

  // Interleave: B's whole update runs right before A's lowering write.
  // biome-ignore lint/suspicious/noExplicitAny: reaching the gateway to interleave
  const gateway = (store as any).consumption.gateway;
  const update = gateway.update.bind(gateway);
  let injected = false;
  gateway.update = async (kind: string, op: string, input: UpdateItemCommandInput) => {
    const lowering = op === 'updateLease' && input.ConditionExpression?.includes('mv > :v') === true;
    if (lowering && !injected && input.ExpressionAttributeNames?.['#o'] === '0') {
      injected = true;
      expect(await store.updateLease(b, b.token, { visibleAt: now, token: b.token })).toBe(true);
    }
    return update(kind, op, input);
  };
  expect(await store.updateLease(a, a.token, { visibleAt: now + 2 * 3_600_000, token: a.token })).toBe(true);
  expect(injected).toBe(true);
  gateway.update = update;

  expect(await store.nextLeaseVisibleAt(lane)).toBe(now);
  const due = await store.dueLeases(lane, now + 1_000, 10);
  expect(due.map((l) => l.queueOffset)).toEqual([1]);
});
