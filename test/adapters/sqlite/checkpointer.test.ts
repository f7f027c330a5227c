import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { Checkpointer } from '../../../src/adapters/sqlite/checkpointer.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function walDatabase(): DatabaseSync {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-checkpointer-'));
  dirs.push(dir);
  const db = new DatabaseSync(join(dir, 'store.db'));
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA wal_autocheckpoint = 0');
  return db;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
}

describe('Checkpointer', () => {
  it('a worker that cannot open its connection hands checkpoints back to the main connection instead of crashing the process', async () => {
    const db = walDatabase();
    const checkpointer = new Checkpointer(db, join(tmpdir(), 'no-such-directory', 'x', 'store.db'));
    await until(() => checkpointer.failed);
    expect(checkpointer.failed).toBe(true);
    expect(checkpointer.lastError).toBeDefined();
    expect((db.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint).toBe(
      1000,
    );
    checkpointer.afterCommit(64 * 1024 * 1024);
    await checkpointer.stop();
    db.close();
  });
});
