import { randomUUID } from 'node:crypto';
import { NimbusError } from '../../core/errors.ts';
import type { MessageToAppend, StoredMessage } from '../../core/model.ts';
import type { AppendResult } from '../../core/ports/store.ts';
import { num, str } from './attributes.ts';
import type { ClaimCheck } from './claim-check.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { queueKey } from './keys.ts';
import {
  dedupKey,
  putDedupTransactItem,
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
 * offset a reader sealed is re-reserved. Messages with a messageId are written in one
 * transaction with their idempotency records, so a concurrent duplicate cannot slip in.
 */
export class Appender {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly reader: QueueReader;
  private readonly claimCheck: ClaimCheck | undefined;
  private readonly hooks: DynamoDbStoreHooks;
  private readonly largeBodyBytes: number;

  constructor(
    gateway: DynamoGateway,
    tables: TableNames,
    reader: QueueReader,
    claimCheck: ClaimCheck | undefined,
    hooks: DynamoDbStoreHooks,
    largeBodyBytes: number,
  ) {
    this.gateway = gateway;
    this.tables = tables;
    this.reader = reader;
    this.claimCheck = claimCheck;
    this.hooks = hooks;
    this.largeBodyBytes = largeBodyBytes;
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
    await this.resolveKnownDuplicates(
      fresh.filter((entry) => entry.message.messageId !== undefined),
      results,
    );
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

  /** Idempotency records already stored (a retried send): answer with the first result, store nothing. */
  private async resolveKnownDuplicates(entries: AppendEntry[], results: (AppendResult | undefined)[]) {
    if (entries.length === 0) return;
    const keys = entries.map((entry) => dedupKey(entry.message.topic, entry.message.messageId as string));
    const records = await this.gateway.batchGet('send', 'append.dedup', this.tables.index, keys, true);
    const byPartition = new Map(records.map((record) => [str(record, 'p') ?? '', record]));
    await Promise.all(
      entries.map(async (entry, i) => {
        const record = byPartition.get(keys[i]?.['p']?.S ?? '');
        if (record) await this.resolveDuplicate(entry, record, results);
      }),
    );
  }

  /** Marks the entry a duplicate of the record's message, or notes the record as stale. */
  private async resolveDuplicate(entry: AppendEntry, record: Item, results: (AppendResult | undefined)[]) {
    const now = entry.message.storeTimestamp;
    if ((num(record, 'e') ?? 0) <= now) return;
    const msgId = str(record, 'i') ?? '';
    const ref = { topic: entry.message.topic, queueId: num(record, 'qi') ?? 0, queueOffset: num(record, 'o') ?? 0 };
    const [prior] = await this.reader.getMessages([ref], now, 'send');
    if (prior && prior.msgId === msgId) {
      results[entry.index] = { message: prior, duplicate: true };
      entry.done = true;
    } else {
      entry.staleMsgId = msgId;
    }
  }

  private async appendToQueue(entries: AppendEntry[], results: (AppendResult | undefined)[]): Promise<void> {
    const first = entries[0];
    if (!first) return;
    const { topic, queueId } = first.message;
    await this.claimCheckLargeBodies(entries);
    let pending = entries;
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_RESERVE_ROUNDS) {
        throw new NimbusError('STORE_UNAVAILABLE', `Queue ${topic}#${queueId}: reserved ranges kept being sealed.`);
      }
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
      let unstored: AppendEntry[] = [];
      for (const [d, draft] of drafts.entries()) {
        const outcome = await this.writeDraft(draft, offset, timeMarker && d === 0, results);
        if (outcome === 'sealed') {
          unstored = drafts.slice(d).flatMap((rest) => rest.entries.filter((entry) => !entry.done));
          const restStart = offset + draft.entries.length;
          await this.voidRange(topic, queueId, restStart, base + count - restStart, draft.entries);
          break;
        }
        offset += draft.entries.length;
      }
      pending = unstored;
    }
  }

  private async claimCheckLargeBodies(entries: AppendEntry[]): Promise<void> {
    const large = entries.filter((entry) => entry.message.body.byteLength > this.largeBodyBytes);
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
        entry.done ? null : { ...entry, message: { ...entry.message, queueOffset: firstOffset + i } },
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
      const now = draft.storeTimestamp;
      const transaction = [
        putSegmentTransactItem(this.tables, item),
        ...withIds.map((slot) =>
          putDedupTransactItem(
            this.tables,
            { ...slot.message, messageId: slot.message.messageId as string },
            now,
            slot.staleMsgId,
          ),
        ),
      ];
      const outcome = await this.gateway.transact('send', 'append.put', transaction, randomUUID());
      if (outcome.ok) return done();
      if (outcome.reasons[0]?.Code === 'ConditionalCheckFailed') return 'sealed';
      if (attempt >= 5) throw new NimbusError('STORE_UNAVAILABLE', 'Idempotency records kept changing; try again.');
      await Promise.all(
        withIds.map(async (slot, i) => {
          const reason = outcome.reasons[i + 1];
          const entry = draft.entries[slot.message.queueOffset - firstOffset];
          if (entry && reason?.Code === 'ConditionalCheckFailed' && reason.Item) {
            await this.resolveDuplicate(entry, reason.Item as Item, results);
          }
        }),
      );
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
