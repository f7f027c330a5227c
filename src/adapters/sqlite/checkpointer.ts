import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';

export interface CheckpointerOptions {
  /**
   * WAL bytes written since the last checkpoint (estimated) that ask for the next one.
   * Default 4 MiB, about SQLite's own 1,000 pages: checkpointing more often adds syncs that
   * compete with the commits' own WAL sync.
   */
  everyBytes?: number;
  /** Pause after which the worker checkpoints anyway, so an idle WAL is copied too. Default 1 s. */
  idleIntervalMs?: number;
  /**
   * WAL frames (pages) beyond which a checkpoint that could not copy everything is retried
   * as RESTART, which waits for nobody (busy_timeout 0) but, when it gets the locks, makes
   * the next commit start the WAL from its beginning. Default 16,384 (64 MiB of 4 KiB pages).
   */
  restartAboveFrames?: number;
}

/** A commit dirties a page per B-tree it touches; 8 of 4 KiB is a typical append's. */
const ESTIMATED_BYTES_PER_COMMIT = 8 * 4096;

/**
 * The worker's whole program, as source text: the store is bundled into single files
 * (scripts/build-packages.ts), where a worker module beside it would not exist.
 *
 * Its own connection runs PASSIVE checkpoints when asked (and after a quiet second): they
 * copy committed WAL frames into the database file without taking the write lock, so the
 * event loop's commits never wait for them, and once a checkpoint copied every frame the
 * next commit writes the WAL from its start again (overwriting allocated blocks syncs
 * faster than growing the file). Commits that land while it copies leave the WAL short of
 * "all copied", which SQLite needs before it starts the WAL over; so the main connection
 * then copies that small remainder itself. With synchronous=NORMAL SQLite syncs the WAL before
 * copying and the database after, so a crash at any point leaves either the frames in the
 * WAL or the pages in the database.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const { path, idleIntervalMs, restartAboveFrames } = workerData;
const db = new DatabaseSync(path);
db.exec('PRAGMA busy_timeout = 0');
db.exec('PRAGMA synchronous = NORMAL');
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)');
let timer;
function checkpoint() {
  clearTimeout(timer);
  let error;
  try {
    const result = passive.get();
    if (result.checkpointed < result.log && result.log > restartAboveFrames) restart.get();
  } catch (caught) {
    // SQLITE_BUSY (another checkpoint, e.g. a closing connection): the next one catches up.
    error = String(caught && caught.message);
  }
  parentPort.postMessage({ error });
  timer = setTimeout(checkpoint, idleIntervalMs);
}
parentPort.on('message', (message) => {
  if (message === 'checkpoint') return checkpoint();
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
timer = setTimeout(checkpoint, idleIntervalMs);
`;

/**
 * Runs the WAL checkpoints of a file store on a worker thread, so no request pays for
 * one: the main connection sets `wal_autocheckpoint=0` (schema.ts).
 *
 * @example
 * const checkpointer = new Checkpointer(db, '/data/store.db');
 * checkpointer.afterCommit(1024); // after each commit on the main connection
 * await checkpointer.stop();
 */
export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private readonly everyBytes: number;
  private written = 0;
  private running = false;
  private stopping = false;
  /** The worker died: checkpoints went back to the main connection (SQLite's own autocheckpoint). */
  failed = false;
  /** The last error a checkpoint reported; checkpoints go on regardless. */
  lastError: string | undefined;

  /**
   * `db` is the main connection: after each checkpoint the worker finished, it checkpoints
   * the few frames committed meanwhile (on the caller's thread), so its next commit starts
   * the WAL over.
   */
  constructor(db: DatabaseSync, databasePath: string, options: CheckpointerOptions = {}) {
    const remainder = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path: databasePath,
        idleIntervalMs: options.idleIntervalMs ?? 1_000,
        restartAboveFrames: options.restartAboveFrames ?? 16_384,
      },
    });
    // The broker must not stay alive for its checkpointer alone.
    this.worker.unref();
    this.everyBytes = options.everyBytes ?? 4 * 1024 * 1024;
    this.worker.on('message', (message: { error?: string }) => {
      this.lastError = message.error;
      this.running = false;
      if (this.stopping) return;
      try {
        remainder.get();
      } catch {
        // Busy with another checkpoint: the next round copies these frames.
      }
    });
    // A worker that cannot run (its connection failed to open, say) must not take the broker
    // down, nor leave the WAL to grow for good: the main connection checkpoints by itself again.
    this.worker.on('error', (error) => {
      this.lastError = String(error);
      this.failed = true;
      db.exec('PRAGMA wal_autocheckpoint = 1000');
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** Counts a commit carrying `bodyBytes` of message bodies; asks for a checkpoint once enough WAL was written. */
  afterCommit(bodyBytes: number): void {
    this.written += ESTIMATED_BYTES_PER_COMMIT + bodyBytes;
    if (this.failed || this.running || this.written < this.everyBytes) return;
    this.written = 0;
    this.running = true;
    this.worker.postMessage('checkpoint');
  }

  /** Stops the loop and closes the worker's connection; the main connection's close then checkpoints the rest. */
  async stop(): Promise<void> {
    this.stopping = true;
    // Kept alive until the worker closed its connection: the close must finish.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
