import type { MessageRef, MessageToAppend, StoredMessage } from '../model.ts';

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

/** Where a page of a key query ended. */
export interface KeyPosition {
  storeTimestamp: number;
  msgId: string;
}

/**
 * The message log: per-queue append with dense, gap-free offsets, range reads, lookups by
 * position, and the retention sweep. Conformance: test/conformance/append-conformance.ts
 * and read-conformance.ts.
 */
export interface MessageLog {
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
  /** Lowest stored and next offset of every queue of a topic (the costlier, complete view). */
  queueOffsets(topic: string, queueCount: number): Promise<QueueOffsets[]>;
  /**
   * The next offset of every queue of a topic, indexed by queueId, in one cheap round: a
   * queue whose head is at or below a lane's cursor holds nothing for it, so a receive
   * skips it without reading. May count offsets reserved but not yet written.
   */
  queueHeads(topic: string, queueCount: number): Promise<number[]>;

  /**
   * The live message with this msgId, wherever it is stored; `undefined` when unknown or
   * expired. A msgId begins with its store time in 12 hex digits (the IdGenerator's ids), and
   * stores may rely on that; a held message released later is found through its held record.
   */
  findMessage(msgId: string, now: number): Promise<StoredMessage | undefined>;
  /**
   * Live messages of a topic carrying `key`, ordered by (storeTimestamp, msgId), after the
   * given position (exclusive), at most `limit`.
   */
  findByKey(topic: string, key: string, limit: number, now: number, after?: KeyPosition): Promise<StoredMessage[]>;
  /**
   * The lowest offset of a queue whose message was stored at or after `timestamp` (epoch ms),
   * or the queue's next offset when none was: where reset-by-time and time queries start.
   */
  offsetForTime(topic: string, queueId: number, timestamp: number): Promise<number>;

  /** Physically removes up to `limit` expired messages (and their index entries). */
  sweepExpired(now: number, limit: number): Promise<number>;
}
