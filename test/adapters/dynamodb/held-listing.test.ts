import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageToAppend } from '../../../src/core/model.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

const DAY = 86_400_000;

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

function delayed(topic: string, now: number, overrides: Partial<MessageToAppend> = {}): MessageToAppend {
  const msgId = randomBytes(16).toString('hex').toUpperCase();
  return {
    msgId,
    topic,
    queueId: 0,
    body: new TextEncoder().encode(`body of ${msgId}`),
    keys: [],
    properties: {},
    bornTimestamp: now,
    storeTimestamp: now,
    expireAt: now + DAY,
    deliverAt: now + 1_000,
    ...overrides,
  };
}

describe('DynamoDB held messages: listings and what a release leaves in the queue', () => {
  it('a listing page holds `limit` pending messages when more exist, past entries of expired records', async () => {
    const store = await aws.openStore();
    const now = Date.now();
    const topic = `page${randomBytes(3).toString('hex')}`;
    await store.saveTopic({ name: topic, messageType: 'DELAY', queueCount: 1, retentionMs: DAY, createdAt: 0 });
    // Due first, expired by now (releases that kept failing past the retention): more than a page of them.
    const stale = Array.from({ length: 5 }, () => delayed(topic, now - 10_000, { expireAt: now - 1 }));
    const live = [0, 1, 2].map(() => delayed(topic, now));
    await store.hold([
      ...stale.map((message) => ({ kind: 'DELAY' as const, message, dueAt: now - 5_000 })),
      ...live.map((message, i) => ({ kind: 'DELAY' as const, message, dueAt: now + 60_000 + i })),
    ]);
    const page = await store.listHeld(topic, 'DELAY', now, 2);
    expect(page.map((held) => held.message.msgId)).toEqual([live[0]?.msgId, live[1]?.msgId]);
    const last = page[1];
    const rest = await store.listHeld(topic, 'DELAY', now, 2, last && { dueAt: last.dueAt, msgId: last.message.msgId });
    expect(rest.map((held) => held.message.msgId)).toEqual([live[2]?.msgId]);
    // The expired records left the listing, but deleting the topic still finds and removes them.
    await store.deleteTopic(topic);
    expect(await store.getHeld(topic, stale[0]?.msgId ?? '', now - 5_000)).toBeUndefined();
  });

  it('a released message without a client messageId carries none in its queue (its release key is the store’s own)', async () => {
    const store = await aws.openStore();
    const now = Date.now();
    const topic = `key${randomBytes(3).toString('hex')}`;
    const plain = delayed(topic, now);
    const keyed = delayed(topic, now, { messageId: 'order-7' });
    await store.hold([
      { kind: 'DELAY', message: plain, dueAt: now + 1_000 },
      { kind: 'DELAY', message: keyed, dueAt: now + 1_000 },
    ]);
    await store.release(topic, plain.msgId, now + 2_000);
    await store.release(topic, keyed.msgId, now + 2_000);
    const read = await store.readQueue(topic, 0, 0, 10, now + 3_000);
    const byId = new Map(read.messages.map((message) => [message.msgId, message]));
    expect(byId.get(plain.msgId)).toBeDefined();
    expect(byId.get(plain.msgId)?.messageId).toBeUndefined();
    expect(byId.get(keyed.msgId)?.messageId).toBe('order-7');
  });
});
