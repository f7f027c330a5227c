import type { StoredMessage } from '../../core/model.ts';
import { bin, num, requireNum } from './attributes.ts';
import type { Item } from './gateway.ts';
import { HEAD_OFFSET } from './keys.ts';
import { decodeSegment, type SegmentFrame, type Slot } from './segment-codec.ts';

/**
 * The items of one queue partition and the walk over them. A queue is a run of offsets;
 * each offset is covered by exactly one segment (a reserved range written at once) or by
 * a tombstone (offsets that hold no message: sealed after a dead writer, or swept). The walk is pure, so every rule of
 * reading (gaps, tombstones, expiry, partial segments) is unit-tested without I/O.
 */

export type QueueItem =
  | {
      kind: 'segment';
      offset: number;
      count: number;
      storeTimestamp: number;
      expireAt: number;
      data: Uint8Array;
      /** When its range was reserved (absent on segments of older writers and sweep remainders). */
      reservedAt?: number;
    }
  | {
      kind: 'tombstone';
      offset: number;
      count: number;
      /** Sealing time plus RECORD_LIFETIME_MS; 0 on floors (they never expire). */
      expireAt?: number;
    }
  | { kind: 'head'; nextOffset: number; reservedAt?: number };

export function parseQueueItem(item: Item): QueueItem {
  const offset = requireNum(item, 'o');
  if (offset === HEAD_OFFSET) {
    const reservedAt = num(item, 'rt');
    return reservedAt === undefined
      ? { kind: 'head', nextOffset: num(item, 'n') ?? 0 }
      : { kind: 'head', nextOffset: num(item, 'n') ?? 0, reservedAt };
  }
  const data = bin(item, 'm');
  if (!data) return { kind: 'tombstone', offset, count: num(item, 'n') ?? 1, expireAt: num(item, 'e') ?? 0 };
  return {
    kind: 'segment',
    offset,
    count: requireNum(item, 'n'),
    storeTimestamp: num(item, 'st') ?? 0,
    expireAt: requireNum(item, 'e'),
    data,
    ...(num(item, 'rt') === undefined ? {} : { reservedAt: num(item, 'rt') }),
  };
}

/** Offsets an item covers: [offset, offset + span). */
export function spanOf(item: QueueItem): number {
  return item.kind === 'head' ? 0 : item.count;
}

export function offsetOf(item: QueueItem): number {
  return item.kind === 'head' ? HEAD_OFFSET : item.offset;
}

export function decodeItemSlots(item: Extract<QueueItem, { kind: 'segment' }>, topic: string, queueId: number) {
  const frame: SegmentFrame = {
    topic,
    queueId,
    firstOffset: item.offset,
    storeTimestamp: item.storeTimestamp,
    expireAt: item.expireAt,
  };
  return decodeSegment(item.data, item.count, frame);
}

/** A live message found by a walk; `claimKey` when its body is still in S3. */
export interface FoundMessage {
  message: StoredMessage;
  claimKey?: string;
}

export interface Walk {
  found: FoundMessage[];
  /** The first offset not examined yet. */
  next: number;
  /**
   * limit: enough messages; end: `next` is the queue's tail; gap: `next` is missing below
   * `gapEnd` (a writer is late or dead); more: the items ran out before any of these.
   */
  stop: 'limit' | 'end' | 'gap' | 'more';
  gapEnd?: number;
  /**
   * For a gap: a time no earlier than every reservation in it, from stored data (the store
   * time of the segment that ends it, or the head's newest reservation time). Offsets are
   * reserved in order, so whatever sits above the gap was reserved after it.
   */
  gapReservedBy?: number;
}

/**
 * Walks items (ascending offsets) from `from`, collecting up to `limit` live messages.
 * Items wholly below `from` are ignored, so a query may start at a segment that covers
 * `from` partway through.
 */
export function walkQueue(
  items: readonly QueueItem[],
  from: number,
  limit: number,
  now: number,
  topic: string,
  queueId: number,
): Walk {
  const found: FoundMessage[] = [];
  let next = from;
  for (const item of items) {
    if (item.kind === 'head') {
      if (next >= item.nextOffset) return { found, next, stop: 'end' };
      return { found, next, stop: 'gap', gapEnd: item.nextOffset, gapReservedBy: item.reservedAt };
    }
    if (item.offset + spanOf(item) <= next) continue;
    if (item.offset > next) {
      // Its reservation time, else its store time (stamped just before its append); tombstones carry neither.
      const by = item.kind !== 'segment' ? undefined : (item.reservedAt ?? (item.storeTimestamp || undefined));
      return { found, next, stop: 'gap', gapEnd: item.offset, gapReservedBy: by };
    }
    if (item.kind === 'tombstone' || item.expireAt <= now) {
      // A sealed offset, or a segment whose every message expired: nothing to deliver.
      next = item.offset + spanOf(item);
      continue;
    }
    const slots: Slot[] = decodeItemSlots(item, topic, queueId);
    for (let i = next - item.offset; i < item.count; i++) {
      const slot = slots[i];
      next = item.offset + i + 1;
      if (slot?.kind !== 'message' || slot.message.expireAt <= now) continue;
      found.push(slot.claimKey ? { message: slot.message, claimKey: slot.claimKey } : { message: slot.message });
      if (found.length >= limit) return { found, next, stop: 'limit' };
    }
  }
  return { found, next, stop: 'more' };
}
