import type { DeadLetter, Group, MessageRef, MessageToAppend, StoredMessage, Topic } from '../model.ts';

/**
 * One consumption lane's lease on one delivered message. A lane is the consumer group
 * (clustering) or `group@clientId` (one broadcasting instance). `batchId` names the
 * received batch the lease belongs to, so stores can keep one lease item per batch.
 */
export interface LeaseKey {
  consumer: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  batchId: string;
}

export interface Lease extends LeaseKey {
  msgId: string;
  /** Deliveries so far. */
  attempt: number;
  /** Epoch ms when the message becomes deliverable again if not acked. */
  visibleAt: number;
  /** Changes on every delivery; fences stale receipt handles. */
  token: string;
}

export interface AppendResult {
  message: StoredMessage;
  /** True when an earlier message with the same (topic, messageId) was found and returned. */
  duplicate: boolean;
}

export interface QueueRead {
  /** Live (unexpired) messages with offsets in [fromOffset, nextOffset), in offset order. */
  messages: StoredMessage[];
  /** Where a cursor may advance after consuming `messages`: past everything examined. */
  nextOffset: number;
}

export interface QueueOffsets {
  queueId: number;
  /** Lowest offset still stored (retention may have removed older ones). */
  minOffset: number;
  /** The offset the next message appended to the queue gets. */
  nextOffset: number;
}

/** Advance a lane's cursor over [fromOffset, toOffset) and lease what was handed out. */
export interface Claim {
  consumer: string;
  topic: string;
  queueId: number;
  fromOffset: number;
  toOffset: number;
  leases: Lease[];
}

export interface LeaseUpdate {
  attempt: number;
  visibleAt: number;
  token: string;
}

/** Where a dead letter sits in its group's dead-letter queue: the page cursor of `listDeadLetters`. */
export type DeadLetterPosition = Pick<DeadLetter, 'deadAt' | 'consumer' | 'topic' | 'queueId' | 'queueOffset'>;

/** Narrows `listDeadLetters`: to the letters of some messages, or to those after a position. */
export interface DeadLetterFilter {
  msgIds?: readonly string[];
  /** Only letters after this one in the store's order (the letter itself may be gone). */
  after?: DeadLetterPosition;
}

/**
 * The storage port. Both adapters (SQLite, DynamoDB) implement it and pass the same
 * conformance suite (test/conformance). Broker rules live above it, in the core services;
 * the store guarantees atomicity and the conditions named on each method. Catalog,
 * append, dead-letter and redrive writes are durable when they resolve; consumption
 * state (cursors, leases, acks) may trail by one sync, since losing it in a crash only
 * causes redelivery.
 */
export interface BrokerStore {
  getTopic(name: string): Promise<Topic | undefined>;
  listTopics(): Promise<Topic[]>;
  /** Creates or replaces the topic record. */
  saveTopic(topic: Topic): Promise<void>;
  /** Removes the topic with its messages, cursors, leases and dead letters. */
  deleteTopic(name: string): Promise<boolean>;

  getGroup(name: string): Promise<Group | undefined>;
  listGroups(): Promise<Group[]>;
  saveGroup(group: Group): Promise<void>;
  /** Removes the group with the cursors, leases and dead letters of all its lanes. */
  deleteGroup(name: string): Promise<boolean>;

  /**
   * Appends messages, assigning dense per-queue offsets, durably: when the promise
   * resolves the data is committed and synced. A message whose (topic, messageId) is
   * already stored and unexpired (judged at the new message's storeTimestamp) is not
   * stored again; the stored one is returned.
   */
  append(messages: readonly MessageToAppend[]): Promise<AppendResult[]>;
  /**
   * Reads up to `limit` live messages of one queue from `fromOffset`, skipping expired ones.
   * Never returns a message before it is durable (what `append` promises when it resolves),
   * so no consumer acts on a message that a crash could take back.
   */
  readQueue(topic: string, queueId: number, fromOffset: number, limit: number, now: number): Promise<QueueRead>;
  /** Looks messages up by position; `undefined` where missing or expired. */
  getMessages(refs: readonly MessageRef[], now: number): Promise<(StoredMessage | undefined)[]>;
  queueOffsets(topic: string, queueCount: number): Promise<QueueOffsets[]>;

  /** The lane's next offset per queueId; queues the lane never consumed are absent. */
  getCursors(consumer: string, topic: string): Promise<Map<number, number>>;
  /** Sets cursors only where the lane has none yet (idempotent). */
  initCursors(consumer: string, topic: string, cursors: ReadonlyMap<number, number>): Promise<void>;
  /**
   * Atomically: if the lane's cursor for the queue is still `fromOffset`, moves it to
   * `toOffset` and stores `leases` (replacing a lease at the same position). Returns
   * false (and changes nothing) when another receiver moved the cursor first or the lane
   * has no cursor for the queue.
   */
  claim(claim: Claim): Promise<boolean>;
  /** Leases of the lane whose `visibleAt` <= now, oldest first. */
  dueLeases(consumer: string, now: number, limit: number): Promise<Lease[]>;
  /** The earliest `visibleAt` among the lane's leases, if any. */
  nextLeaseVisibleAt(consumer: string): Promise<number | undefined>;
  /** Updates a lease if its token is still `expectedToken`; false when stale or gone. */
  updateLease(key: LeaseKey, expectedToken: string, update: LeaseUpdate): Promise<boolean>;
  /** Deletes leases whose tokens still match (ack); one result per item. */
  deleteLeases(items: readonly { key: LeaseKey; token: string }[]): Promise<boolean[]>;

  /** Atomically deletes the lease (if its token matches) and records the dead letter. */
  deadLetter(key: LeaseKey, expectedToken: string, entry: DeadLetter): Promise<boolean>;
  /**
   * The group's dead letters (of all its lanes), oldest first, at most `limit`. The order
   * is by `deadAt`, then by a fixed order of the position that each store chooses, so that
   * paging with `filter.after` (the last letter of the previous page) visits every letter
   * that was there when the walk began, once. (A letter recorded during the walk with an
   * older `deadAt`, from a writer whose clock lags, can sort behind the walk's position.) With `filter.msgIds`, only the letters of those messages, searched among ALL of
   * the group's letters (a named letter far back in a long DLQ is found); an empty list
   * finds none.
   */
  listDeadLetters(group: string, limit: number, filter?: DeadLetterFilter): Promise<DeadLetter[]>;
  /** Atomically deletes the dead letter and stores `lease` so the lane gets the message again. */
  redrive(entry: DeadLetter, lease: Lease): Promise<boolean>;

  /** Physically removes up to `limit` expired messages (and their index entries). */
  sweepExpired(now: number, limit: number): Promise<number>;

  /**
   * Takes the named lock for `owner` until `expiresAt` (epoch ms), atomically. Succeeds
   * when nobody holds the lock, when the holder's expiry is at or before `now`, or when
   * `owner` holds it already (then its expiry becomes `expiresAt`: a renewal). Otherwise
   * returns false and changes nothing. Of any number of concurrent acquirers, at most one
   * holds an unexpired lock at a time. `now` comes from the caller, so holders must share
   * a clock (up to a skew far below the lock's lifetime). Locks are advisory and need not
   * be durable: a lock lost in a crash only lets one other holder in early.
   */
  acquireLock(name: string, owner: string, expiresAt: number, now: number): Promise<boolean>;
  /** Frees the named lock if `owner` holds it; a lock held by another owner (or none) stays as it is. */
  releaseLock(name: string, owner: string): Promise<void>;

  close(): Promise<void>;
}
