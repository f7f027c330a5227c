import { randomUUID } from 'node:crypto';
import type { DynamoGateway } from './gateway.ts';
import { queueKey } from './keys.ts';
import { type DynamoDbStoreHooks, RECORD_LIFETIME_MS } from './options.ts';
import type { TableNames } from './table-definitions.ts';
import { putTombstone, tombstoneTransactItem, widenTombstone } from './tombstone-requests.ts';

/**
 * A gap whose every reservation is older than this is sealed with one range tombstone.
 * A writer puts nothing once WRITER_LIFETIME_MS (1 min) has passed since its append began
 * (appender.ts), its retries end within seconds, and DynamoDB refuses a request signed
 * more than 15 minutes earlier; an hour leaves room for clock skew between containers.
 * The age is that of the reservation above the gap, made after every one in it. Such gaps
 * are items DynamoDB TTL deleted before the retention sweep got there.
 */
export const RANGE_SEAL_AGE_MS = 3_600_000;
/** Tombstones per transaction (DynamoDB's limit). */
const SEAL_CHUNK = 100;
/** Offsets one read seals at most; the next read goes on at once (the age is in the data). */
const MAX_SEAL_PER_READ = 2_000;

/** A run of missing offsets [from, to) below a queue's tail. */
export interface Gap {
  from: number;
  to: number;
  /** No earlier than every reservation in the gap (queue-items.ts, Walk.gapReservedBy), if known. */
  reservedBy?: number | undefined;
}

/**
 * Seals holes left by writers that died or stalled between reservation and write. A hole
 * is sealed once it is `holeTimeoutMs` old, judged from stored data (the time of what was
 * reserved after it), so any reader in any container seals it as soon as it is due;
 * without such data, from when this reader first saw it.
 *
 * Soundness: a segment put succeeds only where no item starts at its first offset, and a
 * tombstone only where none does; a tombstone of one offset covers only that offset. So a
 * message a writer was told is stored can only be hidden by an item that starts below its
 * segment and reaches into it: a range tombstone, written only over gaps older than any
 * writer may live (RANGE_SEAL_AGE_MS). Sealing goes upward and stops at the first offset a
 * writer got first, so a tombstone never lands inside a written segment either.
 */
export class HoleSealer {
  /** Per queue and missing offset: since when this reader has waited on it (when the data tells nothing). */
  private readonly firstSeen = new Map<string, Map<number, number>>();
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly holeTimeoutMs: number;
  private readonly hooks: DynamoDbStoreHooks;

  constructor(gateway: DynamoGateway, tables: TableNames, holeTimeoutMs: number, hooks: DynamoDbStoreHooks) {
    this.gateway = gateway;
    this.tables = tables;
    this.holeTimeoutMs = holeTimeoutMs;
    this.hooks = hooks;
  }

  /**
   * Seals the start of the gap if it is due. True when the reader may read on from
   * `gap.from` (sealed, or found written by a strongly consistent look).
   */
  async sealIfDue(topic: string, queueId: number, gap: Gap, now: number, isCovered: () => Promise<boolean>) {
    const q = queueKey(topic, queueId);
    const waiting = this.firstSeen.get(q) ?? new Map<number, number>();
    if (this.firstSeen.size > 10_000) this.firstSeen.clear();
    const since = waiting.get(gap.from) ?? now;
    waiting.set(gap.from, since);
    this.firstSeen.set(q, waiting);
    const age = Math.max(now - since, gap.reservedBy === undefined ? 0 : now - gap.reservedBy);
    if (age < this.holeTimeoutMs) return false;
    waiting.delete(gap.from);
    // A strongly consistent look first: an eventually consistent read may have missed the writer.
    if (await isCovered()) return true;
    const old = gap.reservedBy !== undefined && now - gap.reservedBy >= RANGE_SEAL_AGE_MS;
    const sealedTo = old
      ? await this.sealRange(q, gap, now)
      : await this.sealUpward(q, gap.from, Math.min(gap.to, gap.from + MAX_SEAL_PER_READ), now);
    if (!old && sealedTo - gap.from > 1) {
      // Best effort: without it readers only read one tombstone per offset of the run.
      const span = sealedTo - gap.from;
      await this.gateway.put(
        'receive',
        'seal',
        widenTombstone(this.tables, q, gap.from, now + RECORD_LIFETIME_MS, span),
      );
    }
    if (sealedTo > gap.from) this.hooks.onSeal?.(topic, queueId, gap.from, sealedTo);
    return true;
  }

  /** Holes in [from, to) are filled: a read got past them. */
  forget(topic: string, queueId: number, from: number, to: number): void {
    const q = queueKey(topic, queueId);
    const waiting = this.firstSeen.get(q);
    if (!waiting) return;
    for (const offset of waiting.keys()) if (offset >= from && offset < to) waiting.delete(offset);
    if (waiting.size === 0) this.firstSeen.delete(q);
  }

  private async sealRange(q: string, gap: Gap, now: number): Promise<number> {
    const span = gap.to - gap.from;
    const outcome = await this.gateway.put(
      'receive',
      'seal',
      putTombstone(this.tables, q, gap.from, now + RECORD_LIFETIME_MS, span),
    );
    return outcome.ok ? gap.to : gap.from;
  }

  /**
   * Seals [from, to) offset by offset, upward, up to 100 offsets per transaction; a
   * cancelled transaction names the first offset a writer got first, and sealing stops
   * there. Returns the end of what was sealed.
   */
  private async sealUpward(q: string, from: number, to: number, now: number): Promise<number> {
    const expireAt = now + RECORD_LIFETIME_MS;
    let at = from;
    let end = to;
    while (at < end) {
      const count = Math.min(SEAL_CHUNK, end - at);
      if (count === 1) {
        const outcome = await this.gateway.put('receive', 'seal', putTombstone(this.tables, q, at, expireAt));
        return outcome.ok ? at + 1 : at;
      }
      const items = Array.from({ length: count }, (_, i) => tombstoneTransactItem(this.tables, q, at + i, expireAt));
      const outcome = await this.gateway.transact('receive', 'seal', items, randomUUID());
      if (outcome.ok) {
        at += count;
        continue;
      }
      const taken = outcome.reasons.findIndex((reason) => reason.Code === 'ConditionalCheckFailed');
      if (taken <= 0) return at;
      // Seal below the taken offset, then stop there.
      end = at + taken;
    }
    return at;
  }
}
