import { randomUUID } from 'node:crypto';
import { NimbusError } from '../../core/errors.ts';
import type { MessageToAppend, StoredMessage } from '../../core/model.ts';
import type { AppendResult } from '../../core/ports/store.ts';
import { num } from './attributes.ts';
import type { ClaimCheck } from './claim-check.ts';
import type { DynamoGateway } from './gateway.ts';
import { Idempotency } from './idempotency.ts';
import { queueKey } from './keys.ts';
import {
  completeDedupTransactItem,
  putKeyIndex,
  putSegment,
  putSegmentTransactItem,
  reserveOffsets,
  segmentItem,
} from './message-requests.ts';
import type { DynamoDbStoreHooks } from './options.ts';
import type { QueueReader } from './queue-reader.ts';
import { encodeSegment } from './segment-codec.ts';
import { type AppendEntry, planSegments, type SegmentDraft } from './segment-plan.ts';
import type { TableNames } from './table-definitions.ts';

/** A writer that keeps losing its reserved ranges to sealing readers gives up after this many rounds. */
const MAX_RESERVE_ROUNDS = 20;

type DraftOutcome = 'stored' | 'sealed';

/**
 * Appends messages: per queue, reserve a range of offsets on the queue's head item (one
 * atomic ADD per batch), then put each segment conditionally. A segment whose first
 * offset a reader sealed is re-reserved. Messages with a messageId are claimed first
 * (idempotency.ts) and their claims completed in one transaction with the segment.
 */
export class Appender {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly claimCheck: ClaimCheck | undefined;
  private readonly hooks: DynamoDbStoreHooks;
  private readonly largeBodyBytes: number;
  private readonly idempotency: Idempotency;

  constructor(
    gateway: DynamoGateway,
    tables: TableNames,
    reader: QueueReader,
    claimCheck: ClaimCheck | undefined,
    hooks: DynamoDbStoreHooks,
    options: { largeBodyBytes: number; pendingTimeoutMs: number },
  ) {
    this.gateway = gateway;
    this.tables = tables;
    this.claimCheck = claimCheck;
    this.hooks = hooks;
    this.largeBodyBytes = options.largeBodyBytes;
    this.idempotency = new Idempotency(gateway, tables, reader, options.pendingTimeoutMs);
  }

  async append(messages: readonly MessageToAppend[]): Promise<AppendResult[]> {
    const results: (AppendResult | undefined)[] = new Array(messages.length);
    const firstByKey = new Map<string, number>();
    const repeats = new Map<number, number>();
    const entries: AppendEntry[] = messages.map((message, index) => ({ index, message }));
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
      if (entry.done) continue;
      const q = queueKey(entry.message.topic, entry.message.queueId);
      byQueue.set(q, [...(byQueue.get(q) ?? []), entry]);
    }
    await Promise.all([...byQueue.values()].map((queueEntries) => this.appendToQueue(queueEntries, results)));
    for (const [index, first] of repeats) {
      const original = results[first];
      if (original) results[index] = { message: original.message, duplicate: true };
    }
    return results.map((result, i) => {
      if (!result) throw new NimbusError('INTERNAL', `Message ${i} of the batch got no append result.`);
      return result;
    });
  }

  private async appendToQueue(entries: AppendEntry[], results: (AppendResult | undefined)[]): Promise<void> {
    const first = entries[0];
    if (!first) return;
    const { topic, queueId } = first.message;
    let pending = entries;
    for (let round = 0; ; round++) {
      await this.idempotency.claim(pending, results);
      pending = pending.filter((entry) => !entry.done);
      if (pending.length === 0) return;
      if (round >= MAX_RESERVE_ROUNDS) {
        throw new NimbusError('STORE_UNAVAILABLE', `Queue ${topic}#${queueId}: reserved ranges kept being sealed.`);
      }
      await this.claimCheckLargeBodies(pending);
      const drafts = planSegments(pending);
      const count = pending.length;
      const bucket = Math.floor((pending[0]?.message.storeTimestamp ?? 0) / 1000);
      const reserved = await this.gateway.update(
        'send',
        'append.reserve',
        reserveOffsets(this.tables, queueKey(topic, queueId), count, bucket),
      );
      const base = reserved.ok ? (num(reserved.attributes, 'n') ?? 0) : 0;
      const timeMarker = !reserved.ok || num(reserved.attributes, 'tb') !== bucket;
      await this.hooks.afterReserve?.({ topic, queueId, firstOffset: base, count });
      let offset = base;
      for (const [d, draft] of drafts.entries()) {
        if ((await this.writeDraft(draft, offset, timeMarker && d === 0, results)) === 'sealed') {
          const restStart = offset + draft.entries.length;
          await this.voidRange(topic, queueId, restStart, base + count - restStart, draft.entries);
          break;
        }
        offset += draft.entries.length;
      }
      // Left: entries of a sealed range (re-reserved next round) and entries whose claim was taken over.
      pending = pending.filter((entry) => !entry.done);
      if (pending.length === 0) return;
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
    timeMarker: boolean,
    results: (AppendResult | undefined)[],
  ): Promise<DraftOutcome> {
    const { topic, queueId } = draft.entries[0]?.message ?? { topic: '', queueId: 0 };
    const q = queueKey(topic, queueId);
    for (let attempt = 0; ; attempt++) {
      const stored = draft.entries.map((entry, i) =>
        entry.done || (entry.message.messageId !== undefined && !entry.owner)
          ? null
          : { ...entry, message: { ...entry.message, queueOffset: firstOffset + i } },
      );
      const live = stored.filter((slot) => slot !== null);
      const expireAt = Math.max(...draft.entries.map((entry) => entry.message.expireAt));
      const data = encodeSegment(stored, {
        topic,
        queueId,
        firstOffset,
        storeTimestamp: draft.storeTimestamp,
        expireAt,
      });
      const item = segmentItem({
        q,
        firstOffset,
        count: stored.length,
        data,
        storeTimestamp: live.length > 0 ? draft.storeTimestamp : undefined,
        expireAt,
        timeMarker,
      });
      await this.writeKeyIndex(live.map((slot) => slot.message));
      await this.hooks.beforePut?.({ topic, queueId, firstOffset, count: stored.length });
      const withIds = live.filter((slot) => slot.message.messageId !== undefined);
      const done = (): DraftOutcome => {
        for (const slot of live) {
          results[slot.index] = { message: slot.message, duplicate: false };
          const entry = draft.entries[slot.message.queueOffset - firstOffset];
          if (entry) entry.done = true;
        }
        return 'stored';
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
      // Claims another sender took over (we were slower than the pending timeout): not ours to store.
      withIds.forEach((slot, i) => {
        const entry = draft.entries[slot.message.queueOffset - firstOffset];
        if (entry && outcome.reasons[i + 1]?.Code === 'ConditionalCheckFailed') entry.owner = undefined;
      });
    }
  }

  private async writeKeyIndex(messages: readonly StoredMessage[]): Promise<void> {
    const requests = messages.flatMap((message) => message.keys.map((key) => putKeyIndex(message.topic, key, message)));
    if (requests.length > 0) await this.gateway.batchWrite('send', 'append.keys', this.tables.index, requests);
  }

  /**
   * Fills the untried rest of an abandoned reservation with one all-void segment, so readers
   * need not wait for it. Same race as every segment put: if a reader sealed it first, fine.
   */
  private async voidRange(topic: string, queueId: number, start: number, count: number, near: AppendEntry[]) {
    if (count <= 0) return;
    const expireAt = Math.max(...near.map((entry) => entry.message.expireAt));
    const data = encodeSegment(new Array(count).fill(null), {
      topic,
      queueId,
      firstOffset: start,
      storeTimestamp: 0,
      expireAt,
    });
    const item = segmentItem({ q: queueKey(topic, queueId), firstOffset: start, count, data, expireAt });
    await this.gateway.put('send', 'append.void', putSegment(this.tables, item));
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a).equals(Buffer.from(b));
}
