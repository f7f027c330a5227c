import type { DatabaseSync } from 'node:sqlite';

/**
 * Connection settings. WAL lets readers run while a flush writes. A file store runs with
 * `synchronous=NORMAL` plus an fsync of the WAL after every commit on the thread pool
 * (wal-syncer.ts), so an append that resolved survives a process or machine crash without
 * the event loop waiting for the disk. `busy_timeout` makes a second process wait for the
 * write lock instead of failing at once.
 */
export function applyPragmas(db: DatabaseSync, busyTimeoutMs: number, syncedExternally: boolean): void {
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${syncedExternally ? 'NORMAL' : 'FULL'}`);
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
  // Bounds the WAL file after checkpoints; without it a burst leaves a large file behind.
  db.exec('PRAGMA journal_size_limit = 67108864');
  db.exec('PRAGMA cache_size = -32768');
  // A file store checkpoints on a worker thread (checkpointer.ts): no commit on the event
  // loop turns into a checkpoint that copies thousands of pages and syncs twice.
  if (syncedExternally) db.exec('PRAGMA wal_autocheckpoint = 0');
}

/**
 * Schema versions, applied in order; `PRAGMA user_version` records how many ran. Append
 * new entries, never edit a released one.
 *
 * Layout notes:
 * - `messages` is a rowid table (much faster than WITHOUT ROWID for ~1 KiB rows); the
 *   unique index on (topic, queue_id, queue_offset) is the queue itself. `body` is the
 *   last column so scans that only test `expire_at` never touch its overflow pages.
 * - The partial unique index on (topic, message_id) backs idempotent sends.
 * - msg_id, message_keys and (topic, queue_id, store_ts) serve query by id, by key and by
 *   time; expire_at serves the retention sweep.
 * - Leases are keyed per message; (consumer, visible_at) finds due redeliveries. Version 5
 *   adds `message_group` (orderly lanes on FIFO topics).
 * - `locks` (version 2) holds named locks with an owner and an expiry; a released lock's
 *   row is deleted, an expired one is overwritten by the next holder.
 * - `held_messages` (version 3) holds delayed and half messages until released or cancelled,
 *   then keeps their outcome until they expire: `doc` is the message without its body (JSON),
 *   (kind, state, due_at) finds due ones, (topic, kind, state, due_at, msg_id) pages a topic's.
 * - `producer_groups` (version 4) holds transactional producer groups (checker and check-back
 *   schedule) as JSON, like topics and consumer groups.
 * - `trace_events` (version 5) holds lifecycle trace events as JSON by subject (a msgId or a
 *   queue position, see core/ports/trace-store.ts); they expire with their message.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE topics (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
  CREATE TABLE consumer_groups (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
  CREATE TABLE queue_heads (
    topic TEXT NOT NULL,
    queue_id INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, queue_id)
  ) WITHOUT ROWID;
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    queue_id INTEGER NOT NULL,
    queue_offset INTEGER NOT NULL,
    msg_id TEXT NOT NULL,
    store_ts INTEGER NOT NULL,
    born_ts INTEGER NOT NULL,
    expire_at INTEGER NOT NULL,
    message_id TEXT,
    tag TEXT,
    keys TEXT NOT NULL,
    properties TEXT NOT NULL,
    message_group TEXT,
    deliver_at INTEGER,
    producer_group TEXT,
    born_host TEXT,
    body BLOB NOT NULL
  );
  CREATE UNIQUE INDEX messages_position ON messages (topic, queue_id, queue_offset);
  CREATE UNIQUE INDEX messages_idempotency ON messages (topic, message_id) WHERE message_id IS NOT NULL;
  CREATE INDEX messages_msg_id ON messages (msg_id);
  CREATE INDEX messages_store_ts ON messages (topic, queue_id, store_ts);
  CREATE INDEX messages_expire_at ON messages (expire_at);
  CREATE TABLE message_keys (
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    message_rowid INTEGER NOT NULL,
    PRIMARY KEY (topic, key, message_rowid)
  ) WITHOUT ROWID;
  CREATE TABLE cursors (
    consumer TEXT NOT NULL,
    topic TEXT NOT NULL,
    queue_id INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (consumer, topic, queue_id)
  ) WITHOUT ROWID;
  CREATE TABLE leases (
    consumer TEXT NOT NULL,
    topic TEXT NOT NULL,
    queue_id INTEGER NOT NULL,
    queue_offset INTEGER NOT NULL,
    batch_id TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    visible_at INTEGER NOT NULL,
    token TEXT NOT NULL,
    PRIMARY KEY (consumer, topic, queue_id, queue_offset)
  ) WITHOUT ROWID;
  CREATE INDEX leases_due ON leases (consumer, visible_at);
  CREATE TABLE dead_letters (
    consumer TEXT NOT NULL,
    topic TEXT NOT NULL,
    queue_id INTEGER NOT NULL,
    queue_offset INTEGER NOT NULL,
    group_name TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    delivery_attempts INTEGER NOT NULL,
    dead_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (consumer, topic, queue_id, queue_offset)
  ) WITHOUT ROWID;
  CREATE INDEX dead_letters_by_group ON dead_letters (group_name, dead_at);
  `,
  `
  CREATE TABLE locks (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE held_messages (
    topic TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    checks INTEGER NOT NULL,
    queue_id INTEGER NOT NULL,
    queue_offset INTEGER,
    expire_at INTEGER NOT NULL,
    message_id TEXT,
    reason TEXT,
    settled_at INTEGER,
    doc TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (topic, msg_id)
  );
  CREATE INDEX held_due ON held_messages (kind, state, due_at);
  CREATE INDEX held_by_topic ON held_messages (topic, kind, state, due_at, msg_id);
  CREATE UNIQUE INDEX held_idempotency ON held_messages (topic, message_id) WHERE message_id IS NOT NULL;
  CREATE INDEX held_expire_at ON held_messages (expire_at);
  `,
  `
  CREATE TABLE producer_groups (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
  `,
  `
  ALTER TABLE leases ADD COLUMN message_group TEXT;
  `,
  `
  CREATE TABLE trace_events (
    subject TEXT NOT NULL,
    time INTEGER NOT NULL,
    expire_at INTEGER NOT NULL,
    event TEXT NOT NULL
  );
  CREATE INDEX trace_by_subject ON trace_events (subject, time);
  CREATE INDEX trace_expire_at ON trace_events (expire_at);
  `,
];

/**
 * Brings the file's schema up to date. The version is read again inside each write
 * transaction, so two processes opening a new file at once do not both migrate it.
 */
export function migrate(db: DatabaseSync): void {
  const readVersion = db.prepare('PRAGMA user_version');
  for (;;) {
    db.exec('BEGIN IMMEDIATE');
    try {
      const version = (readVersion.get() as { user_version: number } | undefined)?.user_version ?? 0;
      if (version > MIGRATIONS.length) {
        throw new Error(`The store file has schema version ${version}; this build knows up to ${MIGRATIONS.length}.`);
      }
      if (version === MIGRATIONS.length) {
        db.exec('COMMIT');
        return;
      }
      db.exec(MIGRATIONS[version] as string);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
}
