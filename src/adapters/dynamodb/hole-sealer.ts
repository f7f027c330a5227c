import { randomUUID } from 'node:crypto';
import type { DynamoGateway } from './gateway.ts';
import { queueKey } from './keys.ts';
import { type DynamoDbStoreHooks, RECORD_LIFETIME_MS, WRITER_LIFETIME_MS } from './options.ts';
import type { TableNames } from './table-definitions.ts';
import { putTombstone, tombstoneTransactItem, widenTombstone } from './tombstone-requests.ts';

/**
 * A reader seals a gap with one range tombstone only once it has itself watched the gap
 * this long on its monotonic clock: longer than any writer lives (WRITER_LIFETIME_MS) plus
 * a margin for the writer's retries. Every reservation in the gap was made before the reader
 * first saw it, so a writer whose put lands after the range seal has run longer than its
 * lifetime, notices it after the put, and fails its send (appender.ts). No other clock is
 * trusted: writers' and readers' wall clocks may disagree by any amount.
 */
export const RANGE_WATCH_MS = WRITER_LIFETIME_MS + 30_000;
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
 * Since when (this reader's monotonic clock) it has seen offsets below `end` missing: every
 * offset below `end` was reserved before `since` (something at `end`, or the head's counter
 * there, was visible then, and offsets are reserved in order).
 */
interface Watch {
  end: number;
  since: number;
}

/**
 * Watches kept per queue. A watch stays true for good (reservations are facts), so none is
 * dropped when a read gets past it: another lane of the same queue may still be behind it.
 */
const MAX_WATCHES = 16;

/**
 * Seals holes left by writers that died or stalled between reservation and write. A hole
 * is due once it is `holeTimeoutMs` old. Its age is how long this reader has watched it on
 * its own monotonic clock; the time stored with what was reserved above it (`rt`, a
 * writer's wall clock) shortens that wait, so any container seals a hole soon after it
 * first sees it, but never below a fifth of the timeout: a reader whose clock runs ahead
 * does not seal a live writer at once.
 *
 * Soundness: a segment put succeeds only where no item starts at its first offset, and a
 * tombstone only where none does; a tombstone of one offset covers only that offset. So a
 * message a writer was told is stored can only be hidden by an item that starts below its
 * segment and reaches into it: a range tombstone, written only over a gap this reader has
 * watched longer than any writer lives (RANGE_WATCH_MS). Sealing goes upward and stops at
 * the first offset a writer got first, so a tombstone never lands inside a written segment.
 */
export class HoleSealer {
  /** Per queue: what this reader has watched missing, and since when. */
  private readonly watches = new Map<string, Watch[]>();
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly holeTimeoutMs: number;
  private readonly hooks: DynamoDbStoreHooks;
  private readonly monotonicNow: () => number;

  constructor(gateway: DynamoGateway, tables: TableNames, holeTimeoutMs: number, hooks: DynamoDbStoreHooks) {
    this.gateway = gateway;
    this.tables = tables;
    this.holeTimeoutMs = holeTimeoutMs;
    this.hooks = hooks;
    this.monotonicNow = hooks.monotonicNow ? () => hooks.monotonicNow?.() ?? 0 : () => performance.now();
  }

  /**
   * Seals the start of the gap if it is due. True when the reader may read on from
   * `gap.from` (sealed, or found written by a strongly consistent look). `now` is the
   * reader's wall clock, used only against the stored reservation time.
   */
  async sealIfDue(topic: string, queueId: number, gap: Gap, now: number, isCovered: () => Promise<boolean>) {
    const q = queueKey(topic, queueId);
    const watch = this.watch(q, gap);
    const watched = this.monotonicNow() - watch.since;
    // The stored time may come from a clock far behind this one: it shortens the wait, never below a fifth.
    const storedAge = gap.reservedBy === undefined ? 0 : now - gap.reservedBy;
    if (watched < this.holeTimeoutMs / 5 || Math.max(watched, storedAge) < this.holeTimeoutMs) return false;
    const to = Math.min(gap.to, watch.end);
    // A strongly consistent look first: an eventually consistent read may have missed the writer.
    if (await isCovered()) return true;
    const wide = watched >= RANGE_WATCH_MS;
    const sealedTo = wide
      ? await this.sealRange(q, gap.from, to, now)
      : await this.sealUpward(q, gap.from, Math.min(to, gap.from + MAX_SEAL_PER_READ), now);
    if (!wide && sealedTo - gap.from > 1) {
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

  /**
   * Records that the gap is missing now, and returns the oldest watch that covers its first
   * offset (its end lies above `gap.from`): every offset of the gap below that end was
   * reserved before the watch began.
   */
  private watch(q: string, gap: Gap): Watch {
    if (this.watches.size > 10_000) this.watches.clear();
    const now = this.monotonicNow();
    // Highest end first; of equal ends the earliest first.
    const all = [...(this.watches.get(q) ?? []), { end: gap.to, since: now }].sort(
      (x, y) => y.end - x.end || x.since - y.since,
    );
    // A watch is useless once one with a higher (or equal) end began no later; past the cap,
    // the lowest ends go (reads are most likely past them).
    const kept: Watch[] = [];
    for (const watch of all) {
      const last = kept.at(-1);
      if (!last || watch.since < last.since) kept.push(watch);
    }
    kept.splice(MAX_WATCHES);
    this.watches.set(q, kept);
    let oldest: Watch = { end: gap.to, since: now };
    for (const watch of kept) if (watch.end > gap.from && watch.since < oldest.since) oldest = watch;
    return oldest;
  }

  private async sealRange(q: string, from: number, to: number, now: number): Promise<number> {
    const outcome = await this.gateway.put(
      'receive',
      'seal',
      putTombstone(this.tables, q, from, now + RECORD_LIFETIME_MS, to - from),
    );
    return outcome.ok ? to : from;
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
