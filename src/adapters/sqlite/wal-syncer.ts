import { closeSync, fdatasync, fdatasyncSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Makes committed WAL frames durable with fdatasync on the libuv thread pool, so the event
 * loop keeps serving requests (and committing the next batch) while the disk syncs.
 *
 * The connection runs with `synchronous=NORMAL`: SQLite appends each commit to the WAL
 * without syncing, and syncs the WAL before every checkpoint and the database after it.
 * Our sync of the WAL after a commit therefore gives the same guarantee as
 * `synchronous=FULL` (a commit is on disk before it is confirmed) without blocking.
 * fdatasync flushes the file's data and the metadata needed to read it back (its size when
 * it grew), whichever descriptor it is called on; it skips the timestamps, which SQLite
 * does not need either (its own syncs use fdatasync where the platform has it). Measured
 * here: p50 0.21 ms, p99 1.0 ms, against 0.24 and 1.6 ms for fsync.
 */
export class WalSyncer {
  private fd: number | undefined;
  private readonly walPath: string;
  private running = false;
  /** Callbacks of commits that wait for a sync that started after they committed. */
  private waiting: (() => void)[] = [];
  /** Callbacks covered by the sync in flight. */
  private inFlight: (() => void)[] = [];
  private closed = false;
  /** Syncs completed so far (one may cover many commits). */
  syncs = 0;
  /** Runs after each background sync settled its waiters, before the next sync starts. */
  onSynced: (() => void) | undefined;

  /** A sync is running on the thread pool: a commit now would wait for the next one anyway. */
  get syncing(): boolean {
    return this.running;
  }

  constructor(databasePath: string) {
    this.walPath = `${databasePath}-wal`;
  }

  /** Calls `done` once everything committed before this call is on disk. */
  afterCommit(done: () => void): void {
    this.waiting.push(done);
    if (!this.running) this.start();
  }

  /** Syncs synchronously and settles every waiter, also those of a sync in flight (used when closing). */
  flushSync(): void {
    if (this.inFlight.length === 0 && this.waiting.length === 0) return;
    fdatasyncSync(this.descriptor());
    const all = [...this.inFlight, ...this.waiting];
    this.inFlight = [];
    this.waiting = [];
    this.settle(all);
  }

  close(): void {
    this.closed = true;
    this.flushSync();
    // A sync still in flight closes the descriptor when it returns.
    if (!this.running) this.closeDescriptor();
  }

  private start(): void {
    // Opened first: if that throws, nothing is marked running and every waiter still waits.
    const fd = this.descriptor();
    this.inFlight = this.waiting;
    this.waiting = [];
    this.running = true;
    fdatasync(fd, (error) => {
      this.running = false;
      // A failed sync leaves the data's fate unknown: crash loudly rather than confirm it.
      if (error && !this.closed) throw error;
      const batch = this.inFlight;
      this.inFlight = [];
      this.settle(batch);
      // Writes held back during this sync commit now, so they join the next one. Their first
      // commit may already have started that sync: one runs at a time, or a sync started
      // before a later commit would confirm it (and drop the waiters of the one it replaced).
      if (!this.closed) this.onSynced?.();
      if (this.closed) this.closeDescriptor();
      else if (this.waiting.length > 0 && !this.running) this.start();
    });
  }

  private closeDescriptor(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private settle(batch: (() => void)[]): void {
    this.syncs++;
    for (const done of batch) done();
  }

  private descriptor(): number {
    if (this.fd === undefined) {
      const fd = openSync(this.walPath, 'r+');
      try {
        syncDirectoryOf(this.walPath);
      } catch (error) {
        closeSync(fd);
        throw error;
      }
      // Kept only once the directory is synced: a failure above is retried by the next sync.
      this.fd = fd;
    }
    return this.fd;
  }
}

/**
 * SQLite creates the WAL when the store opens (and deletes it on a clean close); our
 * fdatasync of the file does not make its directory entry durable, and until SQLite's first
 * checkpoint syncs the directory a power loss could drop the whole WAL on file systems that
 * do not order metadata after data. Synced once, before the first confirm.
 */
function syncDirectoryOf(path: string): void {
  const fd = openSync(dirname(path), 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
