import { NimbusError } from '../../core/errors.ts';
import type { Statements } from './statements.ts';
import type { WalSyncer } from './wal-syncer.ts';

/** A write waiting for the next flush. `run` executes synchronously inside the flush's transaction. */
interface PendingWrite {
  run: () => unknown;
  weight: number;
  /** Settle only once synced to disk; false for consumption state, whose loss only means redelivery. */
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitLimits {
  /** Most writes in one transaction. */
  maxOps: number;
  /** Most payload bytes (message bodies) in one transaction; a single larger write still runs alone. */
  maxBytes: number;
}

const DEFAULT_LIMITS: GroupCommitLimits = { maxOps: 512, maxBytes: 64 * 1024 * 1024 };

/**
 * Group commit: writes are queued and flushed together on the next turn of the event
 * loop (or, while a WAL sync runs, when it ends), in ONE `BEGIN IMMEDIATE ... COMMIT`, so
 * concurrent sends share one fsync. A write that throws is rolled back alone (see
 * `runInTransaction`) and rejects only its own promise. Durable writes settle once their
 * commit is on disk: after the syncer's fdatasync of the WAL, or after COMMIT itself
 * without a syncer (synchronous=FULL).
 */
export class GroupCommitWriter {
  /** Transactions committed so far (one per flush); tests use it to see that writes are batched. */
  commits = 0;

  private queue: PendingWrite[] = [];
  private scheduled = false;
  /** Durable writes wait in the queue for the running sync to end (see `holdBack`). */
  private heldBack = false;
  private closed = false;

  private readonly sql: Statements;
  private readonly limits: GroupCommitLimits;

  private readonly syncer: WalSyncer | undefined;
  private readonly onCommit: ((bodyBytes: number) => void) | undefined;

  /**
   * With a `syncer`, promises settle only after the WAL holding their commit is fsynced.
   * `onCommit` hears of every commit with the payload bytes it carried (the checkpointer counts them).
   */
  constructor(
    statements: Statements,
    limits: Partial<GroupCommitLimits> = {},
    syncer?: WalSyncer,
    onCommit?: (bodyBytes: number) => void,
  ) {
    this.sql = statements;
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.syncer = syncer;
    this.onCommit = onCommit;
    if (syncer) syncer.onSynced = () => this.flushHeldBack();
  }

  /** Queues a write; resolves with its result once the transaction holding it committed. */
  submit<T>(run: () => T, options: { weight?: number; durable?: boolean } = {}): Promise<T> {
    const weight = options.weight ?? 0;
    const durable = options.durable ?? true;
    if (this.closed) return Promise.reject(new NimbusError('STORE_UNAVAILABLE', 'The store is closed.'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, weight, durable, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Refuses new writes and flushes every queued one (synchronously). */
  closeAndDrain(): void {
    this.closed = true;
    while (this.queue.length > 0) this.flush();
    this.syncer?.flushSync();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.holdBack()) return;
      this.flush();
      if (this.queue.length > 0) this.schedule();
    });
  }

  /**
   * While a WAL sync runs, durable writes committed now could only be confirmed by the
   * sync after it; so they wait in the queue and commit together when it ends, in one
   * transaction instead of one per turn of the event loop (each commit writes every
   * B-tree page it touched to the WAL again). Writes that do not wait for a sync (acks,
   * leases) are never held back, and carry the queued durable ones with them.
   */
  private holdBack(): boolean {
    if (!this.syncer?.syncing || !this.queue.every((write) => write.durable)) return false;
    this.heldBack = true;
    return true;
  }

  private flushHeldBack(): void {
    if (!this.heldBack) return;
    this.heldBack = false;
    while (this.queue.length > 0) this.flush();
  }

  private takeBatch(): PendingWrite[] {
    let bytes = 0;
    let count = 0;
    while (count < this.queue.length && count < this.limits.maxOps) {
      const next = this.queue[count] as PendingWrite;
      if (count > 0 && bytes + next.weight > this.limits.maxBytes) break;
      bytes += next.weight;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private flush(): void {
    const batch = this.takeBatch();
    if (batch.length === 0) return;
    const outcomes = this.runInTransaction(batch);
    const settle = (durable: boolean) =>
      batch.forEach((write, i) => {
        if (write.durable !== durable) return;
        const outcome = outcomes[i] as Outcome;
        if (outcome.ok) write.resolve(outcome.value);
        else write.reject(outcome.error);
      });
    settle(false);
    const syncer = this.syncer;
    if (syncer && batch.some((write, i) => write.durable && outcomes[i]?.ok)) syncer.afterCommit(() => settle(true));
    else settle(true);
  }

  /**
   * Runs the batch in one transaction; on a failed BEGIN or COMMIT every write fails
   * (nothing was stored). The first pass runs without savepoints, which cost about a
   * third of the throughput; if any write throws, the whole transaction is rolled back and
   * the batch replayed with a SAVEPOINT around each write, so the failing one is rolled
   * back alone. Writes are pure functions of the database state, so a replay is safe.
   */
  private runInTransaction(batch: PendingWrite[], isolated = false): Outcome[] {
    try {
      this.sql.begin.run();
    } catch (error) {
      return batch.map(() => ({ ok: false, error: unavailable('could not start a write transaction', error) }));
    }
    const outcomes: Outcome[] = [];
    for (const write of batch) {
      const outcome = isolated ? this.runIsolated(write) : this.runPlain(write);
      if (outcome === 'replay') {
        this.rollbackQuietly();
        return this.runInTransaction(batch, true);
      }
      if ('aborted' in outcome) {
        // Some errors (I/O, disk full) make SQLite roll back the whole transaction: nothing
        // of this batch is stored, so every write in it fails.
        this.rollbackQuietly();
        const error = unavailable('the write transaction was aborted', outcome.aborted);
        return batch.map(() => ({ ok: false, error }));
      }
      outcomes.push(outcome);
    }
    try {
      this.sql.commit.run();
    } catch (error) {
      this.rollbackQuietly();
      return batch.map(() => ({ ok: false, error: unavailable('could not commit', error) }));
    }
    this.commits++;
    if (this.onCommit) this.onCommit(batch.reduce((bytes, write) => bytes + write.weight, 0));
    return outcomes;
  }

  private runPlain(write: PendingWrite): Outcome | 'replay' {
    try {
      return { ok: true, value: write.run() };
    } catch {
      return 'replay';
    }
  }

  private runIsolated(write: PendingWrite): Outcome | { aborted: unknown } {
    try {
      this.sql.savepoint.run();
    } catch (error) {
      return { aborted: error };
    }
    try {
      const value = write.run();
      this.sql.release.run();
      return { ok: true, value };
    } catch (error) {
      try {
        this.sql.rollbackToSavepoint.run();
        this.sql.release.run();
      } catch (rollbackError) {
        return { aborted: rollbackError };
      }
      return { ok: false, error };
    }
  }

  private rollbackQuietly(): void {
    try {
      this.sql.rollback.run();
    } catch {
      // Already rolled back by SQLite itself.
    }
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function unavailable(what: string, cause: unknown): NimbusError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new NimbusError('STORE_UNAVAILABLE', `SQLite store: ${what}: ${detail}`, { cause });
}
