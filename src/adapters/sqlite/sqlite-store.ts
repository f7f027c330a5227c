import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { DeadLetter, Group, MessageRef, MessageToAppend, StoredMessage, Topic } from '../../core/model.ts';
import type {
  AppendResult,
  BrokerStore,
  CancelOutcome,
  Claim,
  DeadLetterFilter,
  DuePosition,
  HeldMessage,
  HeldPosition,
  HoldKind,
  HoldResult,
  KeyPosition,
  Lease,
  LeaseCounts,
  LeaseKey,
  LeaseUpdate,
  MessageToHold,
  NewLease,
  QueueOffsets,
  QueueRead,
  ReleaseOutcome,
  TraceRecord,
  TraceSubject,
} from '../../core/ports/store.ts';
import type { ProducerGroup } from '../../core/producer-group.ts';
import { Checkpointer, type CheckpointerOptions } from './checkpointer.ts';
import * as deadLetters from './dead-letter-reads.ts';
import { type GroupCommitLimits, GroupCommitWriter } from './group-commit.ts';
import * as heldReads from './held-reads.ts';
import * as held from './held-writes.ts';
import * as leases from './lease-writes.ts';
import * as reads from './message-reads.ts';
import * as writes from './message-writes.ts';
import * as query from './query-store.ts';
import { parseDoc, type Row, toLease } from './row-mapping.ts';
import { applyPragmas, migrate } from './schema.ts';
import { prepareStatements, type Statements } from './statements.ts';
import { UnsyncedAppends } from './unsynced-appends.ts';
import { WalSyncer } from './wal-syncer.ts';

export interface SqliteStoreOptions {
  /** File path (parent directories are created), or ':memory:'. */
  path: string;
  /** How long to wait for another process's write lock before a write fails. Default 5 s. */
  busyTimeoutMs?: number;
  /** Bounds of one group-commit transaction. Default 512 writes, 64 MiB of bodies. */
  groupCommit?: Partial<GroupCommitLimits>;
  /** WAL checkpoints on a worker thread (file stores only). `false` leaves every commit in the WAL until close (crash tests). */
  checkpoints?: CheckpointerOptions | false;
}

/**
 * The embedded store: one SQLite file. Writes go through group commit (one fsynced
 * transaction per turn of the event loop, shared by every write queued in it); reads
 * run directly against committed data.
 */
/**
 * Cursor, lease and ack writes settle as soon as they commit, without waiting for the WAL
 * fsync: a crash can only lose the newest of them, which means redelivery (at-least-once),
 * never a lost message. The next fsync makes them durable too.
 */
const CONSUMPTION_STATE = { durable: false } as const;

export class SqliteStore implements BrokerStore {
  private readonly db: DatabaseSync;
  private readonly sql: Statements;
  private readonly querySql: ReturnType<typeof query.prepareQueryStatements>;
  private readonly writer: GroupCommitWriter;
  private readonly syncer: WalSyncer | undefined;
  private readonly checkpointer: Checkpointer | undefined;
  private readonly unsynced = new UnsyncedAppends();
  private closing: Promise<void> | undefined;

  constructor(options: SqliteStoreOptions) {
    const onDisk = options.path !== ':memory:';
    if (onDisk) mkdirSync(dirname(options.path), { recursive: true });
    this.db = new DatabaseSync(options.path);
    try {
      applyPragmas(this.db, options.busyTimeoutMs ?? 5_000, onDisk);
      migrate(this.db);
      this.sql = prepareStatements(this.db);
      this.querySql = query.prepareQueryStatements(this.db);
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.syncer = onDisk ? new WalSyncer(options.path) : undefined;
    const checkpointer =
      onDisk && options.checkpoints !== false
        ? new Checkpointer(this.db, options.path, options.checkpoints)
        : undefined;
    this.checkpointer = checkpointer;
    this.writer = new GroupCommitWriter(
      this.sql,
      options.groupCommit,
      this.syncer,
      checkpointer && ((bytes) => checkpointer.afterCommit(bytes)),
    );
  }

  /**
   * Write transactions committed since the store opened. Every flush of the group-commit
   * queue is one transaction (one fsync), however many writes it carried.
   */
  get commits(): number {
    return this.writer.commits;
  }

  /** WAL syncs completed since the store opened (file stores); one confirms every commit before it. */
  get syncs(): number {
    return this.syncer?.syncs ?? 0;
  }

  async getTopic(name: string): Promise<Topic | undefined> {
    return parseDoc<Topic>(this.sql.getTopic.get(name) as Row | undefined);
  }

  async listTopics(): Promise<Topic[]> {
    return (this.sql.listTopics.all() as Row[]).map((row) => parseDoc<Topic>(row) as Topic);
  }

  saveTopic(topic: Topic): Promise<void> {
    const doc = JSON.stringify(topic);
    return this.writer.submit(() => {
      this.sql.saveTopic.run(topic.name, doc);
    });
  }

  deleteTopic(name: string): Promise<boolean> {
    return this.writer.submit(() => writes.deleteTopicData(this.sql, name));
  }

  async getGroup(name: string): Promise<Group | undefined> {
    return parseDoc<Group>(this.sql.getGroup.get(name) as Row | undefined);
  }

  async listGroups(): Promise<Group[]> {
    return (this.sql.listGroups.all() as Row[]).map((row) => parseDoc<Group>(row) as Group);
  }

  saveGroup(group: Group): Promise<void> {
    const doc = JSON.stringify(group);
    return this.writer.submit(() => {
      this.sql.saveGroup.run(group.name, doc);
    });
  }

  deleteGroup(name: string): Promise<boolean> {
    return this.writer.submit(() => leases.deleteGroupData(this.sql, name));
  }

  async getProducerGroup(name: string): Promise<ProducerGroup | undefined> {
    return parseDoc<ProducerGroup>(this.sql.getProducerGroup.get(name) as Row | undefined);
  }

  async listProducerGroups(): Promise<ProducerGroup[]> {
    return (this.sql.listProducerGroups.all() as Row[]).map((row) => parseDoc<ProducerGroup>(row) as ProducerGroup);
  }

  saveProducerGroup(group: ProducerGroup): Promise<void> {
    const doc = JSON.stringify(group);
    return this.writer.submit(() => {
      this.sql.saveProducerGroup.run(group.name, doc);
    });
  }

  deleteProducerGroup(name: string): Promise<boolean> {
    return this.writer.submit(() => Number(this.sql.deleteProducerGroup.run(name).changes) > 0);
  }

  append(messages: readonly MessageToAppend[]): Promise<AppendResult[]> {
    const bytes = messages.reduce((sum, message) => sum + message.body.byteLength, 0);
    const id = this.unsynced.begin();
    const written = this.writer.submit(
      () => {
        const results = writes.appendMessages(this.sql, messages);
        this.unsynced.note(id, results);
        return results;
      },
      { weight: bytes },
    );
    // Registered before the caller's callbacks: readers see the messages as the producer learns of them.
    return written.finally(() => this.unsynced.settle(id));
  }

  /** Stops below appends still waiting for their fsync: a reader never sees an unconfirmed message. */
  async readQueue(topic: string, queueId: number, fromOffset: number, limit: number, now: number): Promise<QueueRead> {
    const unconfirmed = this.unsynced.limit(topic, queueId);
    return reads.readQueue(this.sql, topic, queueId, fromOffset, limit, now, unconfirmed);
  }

  async getMessages(refs: readonly MessageRef[], now: number): Promise<(StoredMessage | undefined)[]> {
    return reads.getMessages(this.sql, refs, now);
  }

  async queueOffsets(topic: string, queueCount: number): Promise<QueueOffsets[]> {
    return reads.queueOffsets(this.sql, topic, queueCount);
  }

  async queueHeads(topic: string, queueCount: number): Promise<number[]> {
    return Array.from({ length: queueCount }, (_, queueId) => reads.queueHead(this.sql, topic, queueId));
  }

  /** Like readQueue, lookups leave out appends still waiting for their fsync (they may yet be lost). */
  async findMessage(msgId: string, now: number): Promise<StoredMessage | undefined> {
    const message = query.findMessage(this.querySql, msgId, now);
    return message && this.unsynced.confirmed(message) ? message : undefined;
  }

  async findByKey(
    topic: string,
    key: string,
    limit: number,
    now: number,
    after?: KeyPosition,
  ): Promise<StoredMessage[]> {
    return query.findByKey(this.querySql, topic, key, limit, now, after, (message) => this.unsynced.confirmed(message));
  }

  async offsetForTime(topic: string, queueId: number, timestamp: number): Promise<number> {
    return query.offsetForTime(this.querySql, topic, queueId, timestamp);
  }

  /** Joins the next group commit without waiting for its fsync: a trace event lost in a crash loses no message. */
  appendTrace(records: readonly TraceRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return this.writer.submit(() => query.appendTrace(this.querySql, records), CONSUMPTION_STATE);
  }

  async listTrace(subjects: readonly TraceSubject[], now: number): Promise<TraceRecord[]> {
    return subjects.length === 0 ? [] : query.listTrace(this.querySql, subjects, now);
  }

  resetCursors(consumer: string, topic: string, cursors: ReadonlyMap<number, number>): Promise<void> {
    const copy = new Map(cursors);
    return this.writer.submit(() => query.resetCursors(this.querySql, consumer, topic, copy));
  }

  async countLeases(consumer: string, topic: string): Promise<Map<number, LeaseCounts>> {
    return query.countLeases(this.querySql, consumer, topic);
  }

  async listLanes(group: string, topic: string): Promise<string[]> {
    return query.listLanes(this.querySql, group, topic);
  }

  async getCursors(consumer: string, topic: string): Promise<Map<number, number>> {
    const rows = this.sql.getCursors.all(consumer, topic) as Row[];
    return new Map(rows.map((row) => [row['queue_id'] as number, row['next_offset'] as number]));
  }

  initCursors(consumer: string, topic: string, cursors: ReadonlyMap<number, number>): Promise<void> {
    const copy = new Map(cursors);
    return this.writer.submit(() => leases.initCursors(this.sql, consumer, topic, copy), CONSUMPTION_STATE);
  }

  claim(claim: Claim): Promise<Lease[] | false> {
    return this.writer.submit(() => leases.claim(this.sql, claim), CONSUMPTION_STATE);
  }

  async dueLeases(consumer: string, now: number, limit: number): Promise<Lease[]> {
    if (limit <= 0) return [];
    return (this.sql.dueLeases.all(consumer, now, limit) as Row[]).map(toLease);
  }

  async nextLeaseVisibleAt(consumer: string): Promise<number | undefined> {
    const next = (this.sql.nextLeaseVisibleAt.get(consumer) as Row | undefined)?.['next_visible_at'];
    return typeof next === 'number' ? next : undefined;
  }

  async getLease(key: LeaseKey): Promise<Lease | undefined> {
    const row = this.sql.getLease.get(key.consumer, key.topic, key.queueId, key.queueOffset) as Row | undefined;
    return row ? toLease(row) : undefined;
  }

  async queueLeases(consumer: string, topic: string, queueId: number): Promise<Lease[]> {
    return (this.sql.queueLeases.all(consumer, topic, queueId) as Row[]).map(toLease);
  }

  updateLease(key: LeaseKey, expectedToken: string, update: LeaseUpdate): Promise<boolean> {
    return this.writer.submit(() => leases.updateLease(this.sql, key, expectedToken, update), CONSUMPTION_STATE);
  }

  deleteLeases(items: readonly { key: LeaseKey; token: string }[]): Promise<boolean[]> {
    if (items.length === 0) return Promise.resolve([]);
    return this.writer.submit(() => leases.deleteLeases(this.sql, items), CONSUMPTION_STATE);
  }

  deadLetter(key: LeaseKey, expectedToken: string, entry: DeadLetter): Promise<boolean> {
    return this.writer.submit(() => leases.deadLetter(this.sql, key, expectedToken, entry));
  }

  async listDeadLetters(group: string, limit: number, filter?: DeadLetterFilter): Promise<DeadLetter[]> {
    return deadLetters.listDeadLetters(this.sql, group, limit, filter);
  }

  redrive(entry: DeadLetter, lease: NewLease): Promise<Lease | false> {
    return this.writer.submit(() => leases.redrive(this.sql, entry, lease));
  }

  hold(messages: readonly MessageToHold[]): Promise<HoldResult[]> {
    const bytes = messages.reduce((sum, entry) => sum + entry.message.body.byteLength, 0);
    return this.writer.submit(() => held.hold(this.sql, messages), { weight: bytes });
  }

  async getHeld(topic: string, msgId: string, now: number): Promise<HeldMessage | undefined> {
    return heldReads.getHeld(this.sql, topic, msgId, now);
  }

  async listHeld(
    topic: string,
    kind: HoldKind,
    now: number,
    limit: number,
    after?: HeldPosition,
  ): Promise<HeldMessage[]> {
    return heldReads.listHeld(this.sql, topic, kind, now, limit, after);
  }

  async listDueHeld(kind: HoldKind, now: number, limit: number, after?: DuePosition): Promise<HeldMessage[]> {
    return heldReads.listDueHeld(this.sql, kind, now, limit, after);
  }

  async nextHeldDueAt(kind: HoldKind, now: number): Promise<number | undefined> {
    return heldReads.nextHeldDueAt(this.sql, kind, now);
  }

  /** Durable like an append, and fenced like one: readers see the message once its commit is synced. */
  release(topic: string, msgId: string, now: number): Promise<ReleaseOutcome> {
    const id = this.unsynced.begin();
    const written = this.writer.submit(() =>
      held.release(this.sql, topic, msgId, now, (results) => this.unsynced.note(id, results)),
    );
    return written.finally(() => this.unsynced.settle(id));
  }

  cancelHeld(topic: string, msgId: string, reason: string, now: number): Promise<CancelOutcome> {
    return this.writer.submit(() => held.cancel(this.sql, topic, msgId, reason, now));
  }

  rescheduleHeld(topic: string, msgId: string, expectedChecks: number, dueAt: number): Promise<boolean> {
    return this.writer.submit(() => this.sql.rescheduleHeld.run(dueAt, topic, msgId, expectedChecks).changes > 0);
  }

  sweepExpired(now: number, limit: number): Promise<number> {
    return this.writer.submit(() => {
      const swept = writes.sweepExpired(this.sql, now, limit);
      return swept + query.sweepTrace(this.querySql, now, limit - swept);
    }, CONSUMPTION_STATE);
  }

  /**
   * Settles without waiting for the fsync, like consumption state: a lock lost in a crash
   * only lets one overlapping holder in, never loses or duplicates a message.
   */
  acquireLock(name: string, owner: string, expiresAt: number, now: number): Promise<boolean> {
    return this.writer.submit(
      () => this.sql.acquireLock.run(name, owner, expiresAt, now).changes > 0,
      CONSUMPTION_STATE,
    );
  }

  releaseLock(name: string, owner: string): Promise<void> {
    return this.writer.submit(() => {
      this.sql.releaseLock.run(name, owner);
    }, CONSUMPTION_STATE);
  }

  /** Flushes queued writes (their promises settle), then closes the file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.writer.closeAndDrain();
    this.syncer?.close();
    // The worker's connection closes first, so the main one is the last and checkpoints the rest.
    await this.checkpointer?.stop();
    this.db.close();
  }
}

/**
 * Opens (creating if needed) the embedded store.
 * @example
 * const store = openSqliteStore({ path: '.nimbus/store.db' });
 * const broker = createBroker({ store, clock: systemClock, ids: randomIds(), notifier: new InProcessNotifier(), timers: systemTimers });
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}
