import type { DeadLetter } from '../model.ts';
import type { Lease, LeaseKey, NewLease } from './consumption-store.ts';

/** Where a dead letter sits in its group's dead-letter queue: the page cursor of `listDeadLetters`. */
export type DeadLetterPosition = Pick<DeadLetter, 'deadAt' | 'consumer' | 'topic' | 'queueId' | 'queueOffset'>;

/** Narrows `listDeadLetters`: to the letters of some messages, or to those after a position. */
export interface DeadLetterFilter {
  msgIds?: readonly string[];
  /** Only letters after this one in the store's order (the letter itself may be gone). */
  after?: DeadLetterPosition;
}

/**
 * Dead letters: moving an exhausted lease into the group's DLQ, listing it, redriving.
 * Writes are durable when they resolve. Conformance: test/conformance/dead-letter-conformance.ts.
 */
export interface DeadLetterStore {
  /** Atomically deletes the lease (if its token matches) and records the dead letter. */
  deadLetter(key: LeaseKey, expectedToken: string, entry: DeadLetter): Promise<boolean>;
  /**
   * The group's dead letters (of all its lanes), oldest first, at most `limit`. The order
   * is by `deadAt`, then by a fixed order of the position that each store chooses, so that
   * paging with `filter.after` (the last letter of the previous page) visits every letter
   * that was there when the walk began, once. (A letter recorded during the walk with an
   * older `deadAt`, from a writer whose clock lags, can sort behind the walk's position.)
   * With `filter.msgIds`, only the letters of those messages, searched among ALL of the
   * group's letters (a named letter far back in a long DLQ is found); an empty list finds none.
   */
  listDeadLetters(group: string, limit: number, filter?: DeadLetterFilter): Promise<DeadLetter[]>;
  /**
   * Atomically deletes the dead letter and stores `lease` so the lane gets the message again.
   * Answers the lease as stored, with the `batchId` the store chose; false when the letter
   * was gone (another redrive took it) and nothing changed.
   */
  redrive(entry: DeadLetter, lease: NewLease): Promise<Lease | false>;
}
