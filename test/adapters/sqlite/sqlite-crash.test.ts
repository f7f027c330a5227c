import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { openSqliteStore } from '../../../src/adapters/sqlite/sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'nimbus-sqlite-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHILD = fileURLToPath(new URL('./fixtures/append-until-killed.ts', import.meta.url));
const CONFIRMED_BEFORE_KILL = 3_000;

interface Confirmed {
  queueId: number;
  queueOffset: number;
  msgId: string;
}

/** Runs the child until it confirmed `count` appends, then SIGKILLs it mid-stream. */
function appendUntilKilled(path: string, topic: string, count: number, mode = ''): Promise<Confirmed[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, path, topic, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    const confirmed: Confirmed[] = [];
    let pending = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      // A torn last line is not a confirmation: keep it until its newline arrives.
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const [queueId, queueOffset, msgId] = line.split(' ');
        confirmed.push({ queueId: Number(queueId), queueOffset: Number(queueOffset), msgId: msgId as string });
      }
      if (confirmed.length >= count && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(confirmed);
      else reject(new Error(`child exited with ${code} before being killed: ${stderr}`));
    });
  });
}

it('keeps every confirmed append, with dense offsets, when the writing process is SIGKILLed', async () => {
  const path = join(dir, 'crash.db');
  const confirmed = await appendUntilKilled(path, 'crash-topic', CONFIRMED_BEFORE_KILL);
  await expectAllConfirmed(path, 'crash-topic', confirmed);
});

it('keeps every confirmed append when the process dies between commit and checkpoint', async () => {
  const path = join(dir, 'uncheckpointed.db');
  const confirmed = await appendUntilKilled(path, 'wal-topic', CONFIRMED_BEFORE_KILL, 'no-checkpoints');
  // Every confirmed append is still only in the WAL: the database file holds the schema alone.
  expect(statSync(`${path}-wal`).size).toBeGreaterThan(CONFIRMED_BEFORE_KILL * 256);
  expect(statSync(path).size).toBeLessThan(256 * 1024);
  await expectAllConfirmed(path, 'wal-topic', confirmed);
});

async function expectAllConfirmed(path: string, topic: string, confirmed: Confirmed[]): Promise<void> {
  expect(confirmed.length).toBeGreaterThanOrEqual(CONFIRMED_BEFORE_KILL);
  const store = openSqliteStore({ path });
  try {
    const now = Date.now();
    const found = await store.getMessages(
      confirmed.map((c) => ({ topic, ...c })),
      now,
    );
    const lost = confirmed.filter((c, i) => found[i]?.msgId !== c.msgId);
    expect(lost).toEqual([]);

    const heads = await store.queueOffsets(topic, 4);
    for (const head of heads) {
      const read = await store.readQueue(topic, head.queueId, 0, 100_000, now);
      const offsets = read.messages.map((m) => m.queueOffset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
      expect(read.nextOffset).toBe(head.nextOffset);
      expect(offsets).toHaveLength(head.nextOffset);
      const highestConfirmed = Math.max(
        -1,
        ...confirmed.filter((c) => c.queueId === head.queueId).map((c) => c.queueOffset),
      );
      expect(head.nextOffset).toBeGreaterThan(highestConfirmed);
    }
    // The file is writable again and offsets continue densely.
    const [next] = await store.append([
      {
        msgId: 'after-crash',
        topic,
        queueId: 0,
        body: new Uint8Array([1]),
        keys: [],
        properties: {},
        bornTimestamp: now,
        storeTimestamp: now,
        expireAt: now + 60_000,
      },
    ]);
    expect(next?.message.queueOffset).toBe(heads[0]?.nextOffset);
  } finally {
    await store.close();
  }
}
