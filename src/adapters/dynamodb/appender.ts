import { randomUUID } from 'node:crypto';
import { NimbusError } from '../../core/errors.ts';
import type { MessageToAppend, StoredMessage } from '../../core/model.ts';
import type { AppendResult } from '../../core/ports/store.ts';
import type { ClaimCheck } from './claim-check.ts';
import { assertIndexableKeys, encodeDraft } from './draft-encoding.ts';
import type { DynamoGateway } from './gateway.ts';
import { Idempotency } from './idempotency.ts';
import { queueKey } from './keys.ts';
import {
  completeDedupTransactItem,
  putKeyIndex,
  putSegment,
  putSegmentTransactItem,
  segmentItem,
} from './message-requests.ts';
import { type DynamoDbStoreHooks, WRITER_LIFETIME_MS } from './options.ts';
import type { QueueReader } from './queue-reader.ts';
import { type Reservation, Reserver } from './reservation.ts';
import { encodeSegment } from './segment-codec.ts';
import { type AppendEntry, planSegments, type SegmentDraft } from './segment-plan.ts';
import type { TableNames } from './table-definitions.ts';

/** A writer that keeps losing its reserved ranges to sealing readers gives up after this many rounds. */
const MAX_RESERVE_ROUNDS = 20;

/** When an append began, by the store's wall clock and its monotonic clock. */
interface Start {
  wall: number;
  mono: number;
}

/** Set when a fault-injection hook threw: the writer "died" there and cleans nothing up. */
interface WriterState {
  died: boolean;
}

/**
 * Appends messages: per queue, reserve a range of offsets on the queue's head item (one
 * atomic ADD per batch, reservation.ts), then put each segment conditionally. A segment
 * whose first offset a reader sealed is re-reserved. Messages with a messageId are claimed
 * first (idempotency.ts) and their claims completed in one transaction with the segment.
 * Everything that can refuse the input happens before the reservation; whatever ends an
 * append after it, the untried rest of the range is filled with a void segment, so no
 * reader waits on it. Key index entries follow the segments.
 */
export class Appender {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly claimCheck: ClaimCheck | undefined;
  private readonly hooks: DynamoDbStoreHooks;
  private readonly largeBodyBytes: number;
  private readonly idempotency: Idempotency;
  private readonly reserver: Reserver;
  private readonly now: () => number;
  private readonly monotonicNow: () => number;

  constructor(
    gateway: DynamoGateway,
    tables: TableNames,
    reader: QueueReader,
    claimCheck: ClaimCheck | undefined,
    hooks: DynamoDbStoreHooks,
    options: { largeBodyBytes: number; now: () => number },
  ) {
    this.gateway = gateway;
    this.tables = tables;
    this.claimCheck = claimCheck;
    this.hooks = hooks;
    this.largeBodyBytes = options.largeBodyBytes;
    this.now = options.now;
    this.idempotency = new Idempotency(gateway, tables, reader, options.now);
    this.monotonicNow = hooks.monotonicNow ? () => hooks.monotonicNow?.() ?? 0 : () => performance.now();
    this.reserver = new Reserver(gateway, tables, options.now, this.monotonicNow);
  }

  async append(messages: readonly MessageToAppend[]): Promise<AppendResult[]> {
    const startedAt: Start = { wall: this.now(), mono: this.monotonicNow() };
    const results: (AppendResult | undefined)[] = new Array(messages.length);
    const firstByKey = new Map<string, number>();
    const repeats = new Map<number, number>();
    // One index entry per key: the key index keys on (topic, key, message), and DynamoDB refuses a batch naming one item twice.
    const entries: AppendEntry[] = messages.map((message, index) => ({
      index,
      message: { ...message, keys: [...new Set(message.keys)] },
    }));
    for (const { message } of entries) assertIndexableKeys(message);
    for (const { index, message } of entries) {
      if (message.messageId === undefined) continue;
      const key = `${message.topic}\u0000${message.messageId}`;
      const first = firstByKey.get(key);
      if (first === undefined) firstByKey.set(key, index);
      else repeats.set(index, first);
    }
    const fresh = entries.filter((entry) => !repeats.has(entry.index));
    const byQueue = new Map<string, AppendEntry[]>();
    for (const entry of fresh) {
      const q = queueKey(entry.message.topic, entry.message.queueId);
      byQueue.set(q, [...(byQueue.get(q) ?? []), entry]);
    }
    await Promise.all(
      [...byQueue.values()].map((queueEntries) => this.appendToQueue(queueEntries, results, startedAt)),
    );
    for (const [index, first] of repeats) {
      const original = results[first];
      if (original) results[index] = { message: original.message, duplicate: true };
    }
    return results.map((result, i) => {
      if (!result) throw new NimbusError('INTERNAL', `Message ${i} of the batch got no append result.`);
      return result;
    });
  }

  private async appendToQueue(
    entries: AppendEntry[],
    results: (AppendResult | undefined)[],
    startedAt: Start,
  ): Promise<void> {
    const first = entries[0];
    if (!first) return;
    const { topic, queueId } = first.message;
    let pending = entries;
    let incarnation = await this.reserver.incarnationOf(topic);
    for (let round = 0; ; round++) {
      await this.idempotency.claim(pending, results);
      await this.rewriteDuplicateKeys(pending, results);
      pending = pending.filter((entry) => !entry.done);
      if (pending.length === 0) return;
      if (round >= MAX_RESERVE_ROUNDS) {
        throw new NimbusError('STORE_UNAVAILABLE', `Queue ${topic}#${queueId}: reserved ranges kept being sealed.`);
      }
      await this.claimCheckLargeBodies(pending);
      const drafts = planSegments(pending);
      // Encode once before reserving: whatever the input, nothing fails between reservation and put.
      for (const draft of drafts) encodeDraft(draft, 0);
      this.assertAlive(startedAt);
      const request = { count: pending.length, incarnation, holdsNoRange: round === 0 };
      const reservation = await this.reserver.reserveForAppend(topic, queueId, request);
      incarnation = reservation.incarnation;
      const stored = await this.writeReservation(drafts, reservation, results, startedAt);
      await this.writeKeyIndex(stored);
      // Left: entries of a sealed range (re-reserved next round) and entries whose claim was taken over.
      pending = pending.filter((entry) => !entry.done);
      if (pending.length === 0) return;
    }
  }

  /**
   * Puts the drafts into a reserved range, in order. Whatever ends this early (a sealed
   * segment, throttling that outlasts the retries, a timeout, any error), the untried rest
   * of the range becomes one void segment, so readers need not wait for the hole timeout.
   */
  private async writeReservation(
    drafts: readonly SegmentDraft[],
    reservation: Reservation,
    results: (AppendResult | undefined)[],
    startedAt: Start,
  ): Promise<StoredMessage[]> {
    const { topic, queueId } = drafts[0]?.entries[0]?.message ?? { topic: '', queueId: 0 };
    const end = reservation.base + reservation.count;
    const state: WriterState = { died: false };
    const step = { topic, queueId, firstOffset: reservation.base, count: reservation.count };
    await this.hook(state, () => this.hooks.afterReserve?.(step));
    const stored: StoredMessage[] = [];
    let offset = reservation.base;
    /** Length of the draft whose put is under way: it may have landed even if the call failed. */
    let trying = 0;
    try {
      for (const [d, draft] of drafts.entries()) {
        trying = draft.entries.length;
        const marker = reservation.marksTime && d === 0 ? reservation.markAt : undefined;
        const outcome = await this.writeDraft(
          draft,
          offset,
          { marker, reservedAt: reservation.at },
          results,
          state,
          startedAt,
        );
        if (outcome === 'sealed') {
          // A reader's tombstone holds the first offset (one offset; or a range, under which a void is harmless).
          offset += 1;
          trying = 0;
          break;
        }
        offset += trying;
        trying = 0;
        stored.push(...outcome);
      }
    } finally {
      if (!state.died && offset < end) {
        await this.voidRest({ topic, queueId, reservedAt: reservation.at }, offset, trying, end, drafts);
      }
    }
    return stored;
  }

  /**
   * Fails the send (retryable) once the writer is older than WRITER_LIFETIME_MS, by the
   * larger of its wall-clock and monotonic ages (either may miss a pause: a suspended host
   * stops the monotonic clock, a clock step moves the wall clock). Checked before each
   * reservation and put, and again after each put: a writer paused between the check and
   * the put (a GC, a frozen container) may have landed inside a range a reader sealed
   * meanwhile (hole-sealer.ts, RANGE_WATCH_MS), and must not answer OK for it.
   */
  private assertAlive(startedAt: Start): void {
    const age = Math.max(this.now() - startedAt.wall, this.monotonicNow() - startedAt.mono);
    if (age <= WRITER_LIFETIME_MS) return;
    throw new NimbusError(
      'STORE_UNAVAILABLE',
      'The send took too long to be written; it may or may not have been stored. Try again.',
    );
  }

  private async hook(state: WriterState, run: () => Promise<void> | void | undefined): Promise<void> {
    try {
      await run();
    } catch (error) {
      state.died = true;
      throw error;
    }
  }

  private async claimCheckLargeBodies(entries: AppendEntry[]): Promise<void> {
    const large = entries.filter((entry) => !entry.claimKey && entry.message.body.byteLength > this.largeBodyBytes);
    if (large.length === 0) return;
    const claimCheck = this.claimCheck;
    if (!claimCheck) {
      throw new NimbusError(
        'BODY_TOO_LARGE',
        `Bodies over ${this.largeBodyBytes} bytes need the store's S3 claim-check bucket, and none is configured.`,
      );
    }
    await Promise.all(
      large.map(async (entry) => {
        const key = claimCheck.keyFor(entry.message.topic, entry.message.msgId);
        await claimCheck.put(key, entry.message.body);
        entry.claimKey = key;
      }),
    );
  }

  /** Writes one segment at `firstOffset`; duplicates found on the way become void slots. */
  private async writeDraft(
    draft: SegmentDraft,
    firstOffset: number,
    stamp: { marker: number | undefined; reservedAt: number },
    results: (AppendResult | undefined)[],
    state: WriterState,
    startedAt: Start,
  ): Promise<StoredMessage[] | 'sealed'> {
    const { topic, queueId } = draft.entries[0]?.message ?? { topic: '', queueId: 0 };
    const q = queueKey(topic, queueId);
    for (let attempt = 0; ; attempt++) {
      const { live, data } = encodeDraft(draft, firstOffset);
      const expireAt = Math.max(...draft.entries.map((entry) => entry.message.expireAt));
      const item = segmentItem({
        q,
        firstOffset,
        count: draft.entries.length,
        data,
        storeTimestamp: live.length > 0 ? draft.storeTimestamp : undefined,
        expireAt,
        timeMarker: stamp.marker,
        reservedAt: stamp.reservedAt,
      });
      await this.hook(state, () =>
        this.hooks.beforePut?.({ topic, queueId, firstOffset, count: draft.entries.length }),
      );
      this.assertAlive(startedAt);
      const withIds = live.filter((slot) => slot.message.messageId !== undefined);
      const done = (): StoredMessage[] => {
        // The put took effect; it counts only if the writer was still within its lifetime when it did.
        this.assertAlive(startedAt);
        for (const slot of live) {
          results[slot.index] = { message: slot.message, duplicate: false };
          const entry = draft.entries[slot.message.queueOffset - firstOffset];
          if (entry) entry.done = true;
        }
        return live.map((slot) => slot.message);
      };
      if (withIds.length === 0) {
        const outcome = await this.gateway.put('send', 'append.put', putSegment(this.tables, item));
        if (outcome.ok || sameBytes(outcome.old?.['m']?.B, data)) return done();
        return 'sealed';
      }
      const transaction = [
        putSegmentTransactItem(this.tables, item),
        ...withIds.map((slot) =>
          completeDedupTransactItem(
            this.tables,
            { ...slot.message, messageId: slot.message.messageId as string },
            slot.owner as string,
          ),
        ),
      ];
      const outcome = await this.gateway.transact('send', 'append.put', transaction, randomUUID());
      if (outcome.ok) return done();
      if (outcome.reasons[0]?.Code === 'ConditionalCheckFailed') return 'sealed';
      if (attempt >= 5)
        throw new NimbusError('STORE_UNAVAILABLE', 'Idempotency claims kept changing hands; try again.');
      // Claims another sender took over (we were slower than the takeover time): not ours to store.
      withIds.forEach((slot, i) => {
        const entry = draft.entries[slot.message.queueOffset - firstOffset];
        if (entry && outcome.reasons[i + 1]?.Code === 'ConditionalCheckFailed') entry.owner = undefined;
      });
    }
  }

  /**
   * Entries found to be duplicates of a stored message: their key index entries are written
   * again, since the first send may have failed after its segment and before its index
   * entries (writeKeyIndex). Unconditional puts of the same items: idempotent.
   */
  private async rewriteDuplicateKeys(
    entries: readonly AppendEntry[],
    results: (AppendResult | undefined)[],
  ): Promise<void> {
    const duplicates = entries.flatMap((entry) => {
      const result = results[entry.index];
      return entry.done && result?.duplicate ? [result.message] : [];
    });
    await this.writeKeyIndex(duplicates);
  }

  /** After the segments: a throttled index write fails the send but leaves no offset unwritten. */
  private async writeKeyIndex(messages: readonly StoredMessage[]): Promise<void> {
    const requests = messages.flatMap((message) => message.keys.map((key) => putKeyIndex(message.topic, key, message)));
    if (requests.length > 0) await this.gateway.batchWrite('send', 'append.keys', this.tables.index, requests);
  }

  /**
   * Fills [start, end) of an abandoned reservation with one all-void segment, so readers
   * need not wait for it. `landed` is the length of a draft at `start` whose put failed
   * without an answer: if it did land, the void goes after it. Same race as every segment
   * put: if a reader sealed the offset first, fine. Best effort: if this fails too, readers
   * seal the hole after the hole timeout; the error that ended the append is the one reported.
   */
  private async voidRest(
    range: { topic: string; queueId: number; reservedAt: number },
    start: number,
    landed: number,
    end: number,
    near: readonly SegmentDraft[],
  ): Promise<void> {
    const expireAt = Math.max(...near.flatMap((draft) => draft.entries.map((entry) => entry.message.expireAt)));
    const { topic, queueId, reservedAt } = range;
    const put = async (from: number) => {
      const data = encodeSegment(new Array(end - from).fill(null), {
        topic,
        queueId,
        firstOffset: from,
        storeTimestamp: 0,
        expireAt,
      });
      const q = queueKey(topic, queueId);
      const item = segmentItem({ q, firstOffset: from, count: end - from, data, expireAt, reservedAt });
      return this.gateway.put('send', 'append.void', putSegment(this.tables, item));
    };
    try {
      const outcome = await put(start);
      if (!outcome.ok && landed > 0 && start + landed < end) await put(start + landed);
    } catch {
      // Readers seal what is left after the hole timeout.
    }
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a).equals(Buffer.from(b));
}
