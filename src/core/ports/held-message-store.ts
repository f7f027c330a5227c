import type { MessageToAppend, StoredMessage } from '../model.ts';

/**
 * Why a message is held back from its queue: a delayed/scheduled message until its time,
 * or a transaction's half message until its producer decides.
 */
export type HoldKind = 'DELAY' | 'TRANSACTION';

/**
 * Where a held message is: HELD (waiting), RELEASED (appended to its queue, exactly once),
 * or CANCELLED (a cancelled delay, a rolled-back transaction). Records of released and
 * cancelled messages stay until the message would have expired, so a repeated release or
 * cancel answers the same, and the contrary decision can be refused.
 */
export type HeldState = 'HELD' | 'RELEASED' | 'CANCELLED';

/** A message held back from its queue. Its topic and msgId identify it. */
export interface HeldMessage {
  kind: HoldKind;
  /** The message as it will be appended on release (its queueId chosen when it was held). */
  message: MessageToAppend;
  /** When background work must look at it: the delivery time, or a transaction's next check. */
  dueAt: number;
  state: HeldState;
  /** Check-backs made so far (transactions). */
  checks: number;
  /** Position in the queue once RELEASED. */
  queueOffset?: number;
  /** Why it was cancelled (CANCELLED), for the trace. */
  reason?: string;
  /** Epoch ms when it was released or cancelled. */
  settledAt?: number;
}

/** A held message handed to the store: always HELD, with no checks yet. */
export type MessageToHold = Pick<HeldMessage, 'kind' | 'message' | 'dueAt'>;

export interface HoldResult {
  held: HeldMessage;
  /** True when a message with the same (topic, messageId), held or stored and unexpired, was returned instead. */
  duplicate: boolean;
}

/** Where a page of held messages ends: the `after` of the next page. */
export interface HeldPosition {
  dueAt: number;
  msgId: string;
}

/** Where a page of due messages (of every topic) ends: the `after` of the next page. */
export interface DuePosition {
  dueAt: number;
  topic: string;
  msgId: string;
}

export type ReleaseOutcome =
  | { state: 'RELEASED'; message: StoredMessage; held: HeldMessage }
  | { state: 'CANCELLED'; held: HeldMessage }
  | { state: 'NOT_FOUND' };

export type CancelOutcome =
  | { state: 'CANCELLED'; held: HeldMessage }
  | { state: 'RELEASED'; held: HeldMessage }
  | { state: 'NOT_FOUND' };

/**
 * Held messages: delayed messages now, transactions' half messages next. Held messages are
 * in no queue and have no offset; `release` appends one to its queue and marks it released
 * in one atomic, idempotent step, so a release that runs twice (a crash, a retry, two
 * drivers) appends once, and a cancel racing a release has exactly one winner.
 * Writes are durable when they resolve. Conformance: test/conformance/held-conformance.ts.
 */
export interface HeldMessageStore {
  /**
   * Holds messages (all HELD, `checks` 0), durably. A message whose (topic, messageId) was
   * held before (in any state) and has not expired is not held again: the first one is
   * returned with `duplicate: true`. Records expire at their message's `expireAt`.
   */
  hold(messages: readonly MessageToHold[]): Promise<HoldResult[]>;
  /** The held record of a message, in any state, until it expires (`undefined` from then on). */
  getHeld(topic: string, msgId: string, now: number): Promise<HeldMessage | undefined>;
  /**
   * HELD, unexpired messages of one topic and kind, by `dueAt` then msgId, after `after`, at
   * most `limit`: the pages of a topic's scheduled messages (and pending transactions).
   */
  listHeld(topic: string, kind: HoldKind, now: number, limit: number, after?: HeldPosition): Promise<HeldMessage[]>;
  /**
   * HELD messages of one kind, of every topic, with `dueAt <= now`, by `dueAt`, topic, msgId,
   * after `after`, at most `limit` (fewer does not mean the last page; an empty page does).
   */
  listDueHeld(kind: HoldKind, now: number, limit: number, after?: DuePosition): Promise<HeldMessage[]>;
  /**
   * The earliest `dueAt` of the HELD, unexpired messages of one kind, if any: when a timer
   * must next look. (An expired record is never due: a past due time would make a timer spin.)
   */
  nextHeldDueAt(kind: HoldKind, now: number): Promise<number | undefined>;
  /**
   * Appends a HELD message to its queue (offset assigned now, `storeTimestamp` = `now`) and
   * marks it RELEASED, atomically. Released already: the same message again. Cancelled:
   * CANCELLED, nothing appended. Unknown or expired: NOT_FOUND.
   */
  release(topic: string, msgId: string, now: number): Promise<ReleaseOutcome>;
  /**
   * Marks a HELD message CANCELLED with `reason`; it is never appended. Released already:
   * RELEASED (nothing changes). Cancelled already: CANCELLED again.
   */
  cancelHeld(topic: string, msgId: string, reason: string, now: number): Promise<CancelOutcome>;
  /**
   * Sets a HELD message's `dueAt`, and its `checks` to `expectedChecks + 1`, if its `checks`
   * is still `expectedChecks` (a check-back done twice counts once); false otherwise or
   * when it is no longer HELD.
   */
  rescheduleHeld(topic: string, msgId: string, expectedChecks: number, dueAt: number): Promise<boolean>;
}
