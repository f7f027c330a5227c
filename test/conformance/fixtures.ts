import { randomBytes } from 'node:crypto';
import type { DeadLetter, MessageToAppend } from '../../src/core/model.ts';
import type { BrokerStore, Lease } from '../../src/core/ports/store.ts';
import type { ManualClock } from '../support/manual-clock.ts';

/** A store under test and how to release it; the suite never looks behind the port. */
export interface OpenedStore {
  store: BrokerStore;
  close(): Promise<void>;
}

/** What every conformance test gets: the store, a clock whose `now()` feeds the `now` arguments, unique names. */
export interface ConformanceContext {
  readonly store: BrokerStore;
  readonly clock: ManualClock;
  /** A topic/group/lane name no other test (or concurrent run on a shared store) uses. */
  name(prefix: string): string;
}

export type ContextRef = () => ConformanceContext;

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}

export function newMsgId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export function newToken(): string {
  return randomBytes(12).toString('base64url');
}

/** A live message for `queueId` of `topic`, stored now and expiring a day later unless overridden. */
export function message(
  ctx: ConformanceContext,
  topic: string,
  queueId: number,
  overrides: Partial<MessageToAppend> = {},
): MessageToAppend {
  const now = ctx.clock.now();
  const msgId = overrides.msgId ?? newMsgId();
  return {
    msgId,
    topic,
    queueId,
    body: utf8(`body of ${msgId}`),
    keys: [],
    properties: {},
    bornTimestamp: now,
    storeTimestamp: now,
    expireAt: now + DAY,
    ...overrides,
  };
}

/**
 * A lease to claim. Its `batchId` is only a placeholder (a key that finds nothing) until
 * `holdLeases` stores it and adopts the reference the store chose.
 */
export function lease(
  ctx: ConformanceContext,
  consumer: string,
  topic: string,
  queueId: number,
  queueOffset: number,
  overrides: Partial<Lease> = {},
): Lease {
  return {
    consumer,
    topic,
    queueId,
    queueOffset,
    batchId: `b${queueOffset}`,
    msgId: newMsgId(),
    attempt: 1,
    visibleAt: ctx.clock.now() + 30_000,
    token: newToken(),
    ...overrides,
  };
}

export function deadLetterOf(
  ctx: ConformanceContext,
  group: string,
  held: Lease,
  deadAt = ctx.clock.now(),
): DeadLetter {
  return {
    group,
    consumer: held.consumer,
    topic: held.topic,
    queueId: held.queueId,
    queueOffset: held.queueOffset,
    msgId: held.msgId,
    deliveryAttempts: held.attempt,
    deadAt,
    reason: `gave up after ${held.attempt} attempts`,
  };
}

/**
 * Stores `leases` for a lane the way the broker does: init the cursor, then claim. Each
 * lease then carries the `batchId` the store answered (set in place, so callers go on
 * using their leases as the stored ones, keys included); the stored leases are returned too.
 */
export async function holdLeases(
  store: BrokerStore,
  consumer: string,
  topic: string,
  queueId: number,
  leases: Lease[],
): Promise<Lease[]> {
  const cursors = await store.getCursors(consumer, topic);
  const from = cursors.get(queueId) ?? 0;
  if (!cursors.has(queueId)) await store.initCursors(consumer, topic, new Map([[queueId, 0]]));
  const to = Math.max(from, ...leases.map((held) => held.queueOffset + 1));
  const claimed = await store.claim({ consumer, topic, queueId, fromOffset: from, toOffset: to, leases });
  if (!claimed) throw new Error(`fixture claim on ${consumer}/${topic}/${queueId} from ${from} failed`);
  for (const [i, held] of leases.entries()) held.batchId = (claimed[i] as Lease).batchId;
  return claimed;
}

/** Every lease of a lane, regardless of visibility. */
export function allLeases(store: BrokerStore, consumer: string): Promise<Lease[]> {
  return store.dueLeases(consumer, Number.MAX_SAFE_INTEGER, 10_000);
}

/** Leases sorted by position, for comparisons where visibleAt ties leave the store's order open. */
export function byPosition<T extends { topic: string; queueId: number; queueOffset: number }>(items: T[]): T[] {
  return [...items].sort(
    (a, b) => a.topic.localeCompare(b.topic) || a.queueId - b.queueId || a.queueOffset - b.queueOffset,
  );
}
