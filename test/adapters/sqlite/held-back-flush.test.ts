import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openSqliteStore } from '../../../src/adapters/sqlite/sqlite-store.ts';
import { WalSyncer } from '../../../src/adapters/sqlite/wal-syncer.ts';
import type { MessageToAppend } from '../../../src/core/model.ts';

/**
 * Each WAL sync here takes at least 30 ms, as on a slow disk, so that writes submitted
 * while one runs are held back (group-commit.ts) every time, not only when the disk is slow.
 * `syncLog` counts the fdatasync calls started and finished.
 */
const syncLog = vi.hoisted(() => ({ started: 0, finished: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const fdatasync = (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    syncLog.started++;
    fs.fdatasync(fd, (error) =>
      setTimeout(() => {
        syncLog.finished++;
        callback(error);
      }, 30),
    );
  };
  return { ...fs, default: { ...fs, fdatasync }, fdatasync };
});

const dir = mkdtempSync(join(tmpdir(), 'nimbus-held-back-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.UTC(2030, 0, 1);
let sequence = 0;

function msg(topic: string, queueId: number): MessageToAppend {
  const n = ++sequence;
  return {
    msgId: `M${n}`,
    topic,
    queueId,
    body: new TextEncoder().encode(`message ${n}`),
    keys: [],
    properties: {},
    bornTimestamp: NOW,
    storeTimestamp: NOW,
    expireAt: NOW + 86_400_000,
  };
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timed out'> {
  return Promise.race([promise, new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), ms))]);
}

describe('writes held back during a WAL sync', () => {
  it('a sync that ends with more held-back writes than one transaction takes settles every one of them', async () => {
    const store = openSqliteStore({ path: join(dir, 'many.db'), groupCommit: { maxOps: 4 } });
    try {
      // The first append starts a sync; the ten that arrive while it runs are held back and
      // flushed as three transactions when it ends.
      const first = store.append([msg('held', 0)]);
      const rest = await new Promise<Promise<unknown>[]>((resolve) =>
        setImmediate(() => resolve(Array.from({ length: 10 }, () => store.append([msg('held', 0)])))),
      );
      await first;
      expect(await within(Promise.all(rest), 2_000)).not.toBe('timed out');
      // And none is kept from consumers: the queue reads to its end.
      const read = await store.readQueue('held', 0, 0, 100, NOW);
      expect(read.messages.map((message) => message.queueOffset)).toEqual(Array.from({ length: 11 }, (_, i) => i));
    } finally {
      await within(store.close(), 2_000);
    }
  });

  it('the syncer confirms a commit only by a sync started after it, and never loses a waiter', async () => {
    const path = join(dir, 'syncer.db');
    writeFileSync(`${path}-wal`, '');
    const syncer = new WalSyncer(path);
    const settled: string[] = [];
    const early: string[] = [];
    const commit = (name: string) => {
      // Syncs run in the order they started: this commit is covered once one started after it finished.
      const startedBefore = syncLog.started;
      syncer.afterCommit(() => {
        settled.push(name);
        if (syncLog.finished <= startedBefore) early.push(name);
      });
    };
    // What group commit does when a sync ends with two transactions' worth of held-back writes.
    let flushes = 0;
    syncer.onSynced = () => {
      if (flushes++ > 0) return;
      commit('second');
      commit('third');
    };
    commit('first');
    await vi.waitFor(() => expect(syncLog.finished).toBeGreaterThanOrEqual(syncLog.started), { timeout: 2_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled.sort()).toEqual(['first', 'second', 'third']);
    expect(early).toEqual([]);
    syncer.close();
  });

  it('lookups by msgId and by key leave out an append whose WAL sync is still running, and find it once confirmed', async () => {
    const store = openSqliteStore({ path: join(dir, 'lookups.db') });
    try {
      const message = { ...msg('lookups', 0), keys: ['order-1'] };
      const syncsBefore = syncLog.started;
      const appended = store.append([message]);
      // Committed on the next turn, then its sync starts and takes at least 30 ms.
      while (syncLog.started === syncsBefore) await new Promise((resolve) => setImmediate(resolve));
      expect(await within(appended, 0)).toBe('timed out');
      expect(await store.findMessage(message.msgId, NOW)).toBeUndefined();
      expect(await store.findByKey('lookups', 'order-1', 10, NOW)).toEqual([]);
      await appended;
      expect((await store.findMessage(message.msgId, NOW))?.msgId).toBe(message.msgId);
      expect((await store.findByKey('lookups', 'order-1', 10, NOW)).map((m) => m.msgId)).toEqual([message.msgId]);
    } finally {
      await store.close();
    }
  });
});

describe('lookups by key beside an append still waiting for its sync', () => {
  it('a confirmed message is found, in a full page, even when an unconfirmed one with an earlier store time sorts before it', async () => {
    const store = openSqliteStore({ path: join(dir, 'key-order.db') });
    try {
      // Two producers: one stamps its message first but reaches the store second.
      const early = { ...msg('key-order', 0), keys: ['order-7'], storeTimestamp: NOW };
      const late = { ...msg('key-order', 1), keys: ['order-7'], storeTimestamp: NOW + 5 };
      await store.append([late]);
      const syncsBefore = syncLog.started;
      const appended = store.append([early]);
      while (syncLog.started === syncsBefore) await new Promise((resolve) => setImmediate(resolve));
      expect(await within(appended, 0)).toBe('timed out');
      // `late` was confirmed to its producer before this lookup began.
      const found = (await store.findByKey('key-order', 'order-7', 10, NOW + 10)).map((m) => m.msgId);
      expect(found).toEqual([late.msgId]);
      // A page of one still holds it: the lookup reads on past the unconfirmed one.
      expect((await store.findByKey('key-order', 'order-7', 1, NOW + 10)).map((m) => m.msgId)).toEqual([late.msgId]);
      await appended;
    } finally {
      await store.close();
    }
  });
});
