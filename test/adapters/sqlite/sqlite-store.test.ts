import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../src/adapters/sqlite/sqlite-store.ts';
import type { MessageToAppend } from '../../../src/core/model.ts';
import { describeStoreConformance } from '../../conformance/store-conformance.ts';

const dir = mkdtempSync(join(tmpdir(), 'nimbus-sqlite-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreConformance('sqlite', async () => {
  const store = openSqliteStore({ path: join(dir, 'conformance', 'store.db') });
  return { store, close: () => store.close() };
});

const NOW = Date.UTC(2030, 0, 1);
let sequence = 0;

function msg(topic: string, queueId: number, overrides: Partial<MessageToAppend> = {}): MessageToAppend {
  const n = ++sequence;
  return {
    msgId: `M${n}`,
    topic,
    queueId,
    body: new TextEncoder().encode(`message ${n}`),
    keys: [`key-${n}`],
    properties: { n: String(n) },
    bornTimestamp: NOW,
    storeTimestamp: NOW,
    expireAt: NOW + 86_400_000,
    ...overrides,
  };
}

describe('SQLite store', () => {
  it('creates parent directories and keeps everything across close and reopen', async () => {
    const path = join(dir, 'nested', 'deeper', 'reopen.db');
    const first = openSqliteStore({ path });
    expect(existsSync(path)).toBe(true);
    const topic = {
      name: 'orders',
      messageType: 'NORMAL' as const,
      queueCount: 2,
      retentionMs: 3_600_000,
      createdAt: NOW,
    };
    const group = {
      name: 'billing',
      subscriptions: [{ topic: 'orders', tagExpression: '*' }],
      consumeMode: 'CLUSTERING' as const,
      maxDeliveryAttempts: 16,
      createdAt: NOW,
    };
    await first.saveTopic(topic);
    await first.saveGroup(group);
    const appended = await first.append([msg('orders', 0, { messageId: 'once' }), msg('orders', 0), msg('orders', 1)]);
    await first.initCursors('billing', 'orders', new Map([[0, 0]]));
    const held = { consumer: 'billing', topic: 'orders', queueId: 0, queueOffset: 0 };
    const wanted = [{ ...held, msgId: 'M1', attempt: 1, visibleAt: NOW + 1_000, token: 't1' }];
    const leases = await first.claim({
      consumer: 'billing',
      topic: 'orders',
      queueId: 0,
      fromOffset: 0,
      toOffset: 2,
      leases: wanted,
    });
    expect(leases).toEqual([{ ...wanted[0], batchId: 'c0' }]);
    await first.close();
    await first.close();

    const second = openSqliteStore({ path });
    try {
      expect(await second.getTopic('orders')).toEqual(topic);
      expect(await second.getGroup('billing')).toEqual(group);
      const read = await second.readQueue('orders', 0, 0, 10, NOW);
      expect(read.messages.map((m) => m.msgId)).toEqual(appended.slice(0, 2).map((r) => r.message.msgId));
      expect(await second.getCursors('billing', 'orders')).toEqual(new Map([[0, 2]]));
      expect(await second.dueLeases('billing', NOW + 1_000, 10)).toEqual(leases);
      const [repeat, next] = await second.append([msg('orders', 1, { messageId: 'once' }), msg('orders', 0)]);
      expect(repeat?.duplicate).toBe(true);
      expect(next?.message.queueOffset).toBe(2);
    } finally {
      await second.close();
    }
  });

  it('close() commits writes still queued, then refuses new ones', async () => {
    const path = join(dir, 'close.db');
    const store = openSqliteStore({ path });
    const pending = store.append([msg('t', 0), msg('t', 0)]);
    await store.close();
    const results = await pending;
    expect(results.map((r) => r.message.queueOffset)).toEqual([0, 1]);
    await expect(store.append([msg('t', 0)])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    const reopened = openSqliteStore({ path });
    expect((await reopened.queueOffsets('t', 1))[0]?.nextOffset).toBe(2);
    await reopened.close();
  });

  it('group-commits concurrent writes: 200 appends take far fewer than 200 transactions', async () => {
    const store = openSqliteStore({ path: join(dir, 'group-commit.db') });
    try {
      const before = store.commits;
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.append([msg('gc', i % 4)])));
      expect(results).toHaveLength(200);
      expect(store.commits - before).toBeLessThanOrEqual(2);
      // Sequential writes cannot share a transaction: one commit each.
      const mid = store.commits;
      for (let i = 0; i < 5; i++) await store.append([msg('gc', 0)]);
      expect(store.commits - mid).toBe(5);
    } finally {
      await store.close();
    }
  });

  it('holds appends back while a sync runs: appends arriving turn by turn commit once per sync', async () => {
    const store = openSqliteStore({ path: join(dir, 'held-back.db') });
    try {
      await store.append([msg('hb', 0)]);
      const commitsBefore = store.commits;
      const syncsBefore = store.syncs;
      // One append per turn of the event loop, as requests over HTTP arrive: without holding
      // back, each turn would commit (and write its pages to the WAL) on its own.
      const appends: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) {
        appends.push(store.append([msg('hb', i % 2)]));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(appends);
      const commits = store.commits - commitsBefore;
      const syncs = store.syncs - syncsBefore;
      // Every commit but one made while the syncer was idle waited for a sync boundary.
      expect(commits).toBeLessThanOrEqual(syncs + 1);
      expect(commits).toBeLessThan(40);
      const heads = await store.queueOffsets('hb', 2);
      expect(heads.map((head) => head.nextOffset)).toEqual([21, 20]);
    } finally {
      await store.close();
    }
  });

  it('caps a transaction at maxOps writes', async () => {
    const store = openSqliteStore({ path: ':memory:', groupCommit: { maxOps: 50 } });
    try {
      await Promise.all(Array.from({ length: 200 }, () => store.append([msg('cap', 0)])));
      expect(store.commits).toBe(4);
      expect((await store.queueOffsets('cap', 1))[0]?.nextOffset).toBe(200);
    } finally {
      await store.close();
    }
  });

  it('rolls back a failing write alone: the others in the same transaction commit with dense offsets', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    try {
      // A property that cannot be serialised makes the write throw halfway through its batch.
      const poisoned = msg('iso', 0, { properties: { n: 1n as unknown as string } });
      const outcomes = await Promise.allSettled([
        store.append([msg('iso', 0)]),
        store.append([msg('iso', 0), poisoned]),
        store.append([msg('iso', 0)]),
        store.claim({ consumer: 'g', topic: 'iso', queueId: 0, fromOffset: 0, toOffset: 1, leases: [] }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect(store.commits).toBe(1);
      const read = await store.readQueue('iso', 0, 0, 10, NOW);
      expect(read.messages.map((m) => m.queueOffset)).toEqual([0, 1]);
      expect(read.nextOffset).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('shows an appended message to readers only once its append is synced and confirmed', async () => {
    const store = openSqliteStore({ path: join(dir, 'visible-when-durable.db') });
    try {
      await store.append([msg('dur', 0)]);
      const appending = store.append([msg('dur', 0), msg('dur', 0)]);
      // This runs right after the group commit's flush (both wait for the same check phase), so
      // the new rows are committed while their fsync is still on its way.
      const early = await new Promise<Promise<unknown>>((resolve) =>
        setImmediate(() => resolve(store.readQueue('dur', 0, 0, 10, NOW))),
      );
      expect(store.commits).toBeGreaterThanOrEqual(2);
      expect(early).toMatchObject({ messages: [{ queueOffset: 0 }], nextOffset: 1 });
      await appending;
      const late = await store.readQueue('dur', 0, 0, 10, NOW);
      expect(late.messages.map((m) => m.queueOffset)).toEqual([0, 1, 2]);
      expect(late.nextOffset).toBe(3);
    } finally {
      await store.close();
    }
  });
});
