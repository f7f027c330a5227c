import { describe, expect, it } from 'vitest';
import { HEAD_OFFSET } from '../../../src/adapters/dynamodb/keys.ts';
import { type QueueItem, walkQueue } from '../../../src/adapters/dynamodb/queue-items.ts';
import { lowestStored } from '../../../src/adapters/dynamodb/queue-reader.ts';
import { decodeSegment, encodeSegment } from '../../../src/adapters/dynamodb/segment-codec.ts';
import { MAX_SEGMENT_MESSAGES, planSegments } from '../../../src/adapters/dynamodb/segment-plan.ts';
import type { StoredMessage } from '../../../src/core/model.ts';

const T = 1_800_000_000_000;
const HEX = 'ABCDEF0123456789ABCDEF0123456789';

function stored(offset: number, overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    msgId: `${HEX.slice(0, 28)}${String(offset).padStart(4, '0')}`,
    topic: 'orders',
    queueId: 3,
    queueOffset: offset,
    body: new TextEncoder().encode(`body-${offset}`),
    keys: [],
    properties: {},
    bornTimestamp: T,
    storeTimestamp: T,
    expireAt: T + 1_000,
    ...overrides,
  };
}

/** A segment item as the reader parses it, holding `slots` from `offset`. */
function segment(offset: number, slots: (StoredMessage | null)[], expireAt = T + 1_000): QueueItem {
  const frame = { topic: 'orders', queueId: 3, firstOffset: offset, storeTimestamp: T, expireAt };
  const data = encodeSegment(
    slots.map((message) => (message ? { message } : null)),
    frame,
  );
  return { kind: 'segment', offset, count: slots.length, storeTimestamp: T, expireAt, data };
}

const head = (nextOffset: number): QueueItem => ({ kind: 'head', nextOffset });
const tombstone = (offset: number, count = 1): QueueItem => ({ kind: 'tombstone', offset, count });
const walk = (items: QueueItem[], from: number, limit = 100, now = T) => {
  const result = walkQueue(items, from, limit, now, 'orders', 3);
  return { offsets: result.found.map((f) => f.message.queueOffset), next: result.next, stop: result.stop };
};

describe('segment codec', () => {
  it('round-trips every field, void slots, non-hex ids and claim-checked bodies', () => {
    const full = stored(10, {
      msgId: 'not-hex-id',
      tag: 'TagA',
      keys: ['k1', 'ключ'],
      properties: { a: '1', '🚀': '' },
      messageId: 'idem',
      messageGroup: 'g',
      deliverAt: T + 5,
      producerGroup: 'pg',
      bornHost: 'h',
      bornTimestamp: T - 3,
      expireAt: T + 500,
    });
    const frame = { topic: 'orders', queueId: 3, firstOffset: 10, storeTimestamp: T, expireAt: T + 1_000 };
    const data = encodeSegment([{ message: full }, null, { message: stored(12), claimKey: 'bodies/orders/x' }], frame);
    const slots = decodeSegment(data, 3, frame);
    expect(slots[0]).toEqual({ kind: 'message', message: full });
    expect(slots[1]).toEqual({ kind: 'void' });
    expect(slots[2]).toMatchObject({ kind: 'message', claimKey: 'bodies/orders/x', message: { queueOffset: 12 } });
  });

  it('costs a 1 KiB message its body plus about 19 bytes', () => {
    const message = stored(0, { msgId: HEX, body: new Uint8Array(1024) });
    const frame = { topic: 'orders', queueId: 3, firstOffset: 0, storeTimestamp: T, expireAt: T + 1_000 };
    const one = encodeSegment([{ message }], frame).byteLength;
    const many = encodeSegment(
      Array.from({ length: 32 }, () => ({ message })),
      frame,
    ).byteLength;
    expect(one).toBeLessThanOrEqual(1 + 1024 + 20);
    expect((many - 1) / 32).toBeLessThanOrEqual(1024 + 20);
  });
});

describe('walking a queue', () => {
  const items = [segment(0, [stored(0), stored(1), null, stored(3)]), tombstone(4), segment(5, [stored(5)]), head(6)];

  it('reads segments and skips void slots and tombstones up to the tail', () => {
    expect(walk(items, 0)).toEqual({ offsets: [0, 1, 3, 5], next: 6, stop: 'end' });
  });

  it('starts inside a segment and stops at the limit right after the last message taken', () => {
    expect(walk(items, 1, 2)).toEqual({ offsets: [1, 3], next: 4, stop: 'limit' });
    expect(walk(items.slice(1), 4, 5)).toEqual({ offsets: [5], next: 6, stop: 'end' });
  });

  it('reports a gap below the tail with where it ends', () => {
    const gapped = [segment(0, [stored(0)]), segment(3, [stored(3)]), head(4)];
    expect(walkQueue(gapped, 0, 10, T, 'orders', 3)).toMatchObject({ next: 1, stop: 'gap', gapEnd: 3 });
    const inFlight = [segment(0, [stored(0)]), head(5)];
    expect(walkQueue(inFlight, 0, 10, T, 'orders', 3)).toMatchObject({ next: 1, stop: 'gap', gapEnd: 5 });
  });

  it('skips expired messages and whole expired segments but moves past them', () => {
    const mixed = [
      segment(0, [stored(0, { expireAt: T }), stored(1)], T + 1_000),
      segment(2, [stored(2, { expireAt: T })], T),
      head(3),
    ];
    expect(walk(mixed, 0)).toEqual({ offsets: [1], next: 3, stop: 'end' });
  });

  it('ignores items wholly below the start and a covering floor tombstone', () => {
    const swept = [tombstone(0, 7), segment(7, [stored(7)]), head(8)];
    expect(walk(swept, 3)).toEqual({ offsets: [7], next: 8, stop: 'end' });
    expect(walk([segment(0, [stored(0)]), head(1)], 1)).toEqual({ offsets: [], next: 1, stop: 'end' });
  });

  it('tells how old a gap is at least, from what was reserved above it', () => {
    const above = { ...segment(3, [stored(3)]), reservedAt: T + 7 } as QueueItem;
    expect(walkQueue([segment(0, [stored(0)]), above, head(4)], 0, 10, T, 'orders', 3)).toMatchObject({
      stop: 'gap',
      gapEnd: 3,
      gapReservedBy: T + 7,
    });
    // Segments of older writers carry only their store time; the head its newest reservation.
    expect(walkQueue([segment(0, [stored(0)]), segment(3, [stored(3)])], 0, 10, T, 'orders', 3)).toMatchObject({
      gapReservedBy: T,
    });
    const tail: QueueItem = { kind: 'head', nextOffset: 5, reservedAt: T + 9 };
    expect(walkQueue([segment(0, [stored(0)]), tail], 0, 10, T, 'orders', 3)).toMatchObject({
      gapEnd: 5,
      gapReservedBy: T + 9,
    });
  });

  it('asks for more items when they run out before the tail', () => {
    expect(walk([segment(0, [stored(0)])], 0)).toEqual({ offsets: [0], next: 1, stop: 'more' });
  });
});

describe('where a new lane starts', () => {
  it('past the floor and bottom tombstones, but never past a missing offset', () => {
    expect(lowestStored([tombstone(0, 5), segment(5, [stored(5)]), head(6)], 6)).toBe(5);
    expect(lowestStored([tombstone(0), segment(1, [stored(1)]), head(2)], 2)).toBe(1);
    // Offset 0 is reserved and not written yet: a lane starting at 1 would never get it.
    expect(lowestStored([segment(1, [stored(1)]), head(2)], 2)).toBe(0);
    expect(lowestStored([tombstone(0, 2), tombstone(3), head(4)], 4)).toBe(2);
    expect(lowestStored([tombstone(0, 4), head(4)], 4)).toBe(4);
    expect(lowestStored([head(0)], 0)).toBe(0);
  });
});

describe('planning segments', () => {
  const entry = (index: number, overrides: Partial<StoredMessage> = {}) => ({
    index,
    message: stored(index, overrides),
  });

  it('keeps one store time per segment and caps the message count', () => {
    const entries = [entry(0), entry(1), entry(2, { storeTimestamp: T + 1 }), entry(3, { storeTimestamp: T + 1 })];
    expect(planSegments(entries).map((draft) => draft.entries.map((e) => e.index))).toEqual([
      [0, 1],
      [2, 3],
    ]);
    const many = Array.from({ length: MAX_SEGMENT_MESSAGES + 1 }, (_, i) => entry(i));
    expect(planSegments(many).map((draft) => draft.entries.length)).toEqual([MAX_SEGMENT_MESSAGES, 1]);
  });

  it('splits before an item would pass the size limit', () => {
    const big = Array.from({ length: 3 }, (_, i) => entry(i, { body: new Uint8Array(200_000) }));
    expect(planSegments(big).map((draft) => draft.entries.length)).toEqual([1, 1, 1]);
  });
});

describe('head offset', () => {
  it('sorts after every real offset', () => {
    expect(HEAD_OFFSET).toBeGreaterThan(2 ** 52);
  });
});
