import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { segmentItem } from '../../src/adapters/dynamodb/message-requests.ts';
import { putFloor, putTombstone } from '../../src/adapters/dynamodb/tombstone-requests.ts';
import { topicsOfNewMessages } from '../../src/push/new-message-topics.ts';
import { passesStreamFilter } from '../functions/push-stream-harness.ts';

const tables = { messages: 'nimbus-messages' } as never;
const data = new Uint8Array([1, 2, 3]);

/** A stream record of an inserted item, as the DynamoDB Streams API delivers it (binary as base64). */
function inserted(item: Record<string, AttributeValue>): DynamoDBRecord {
  const image = Object.fromEntries(
    Object.entries(item).map(([name, value]) => [
      name,
      value.B === undefined ? value : { B: Buffer.from(value.B).toString('base64') },
    ]),
  );
  return { eventName: 'INSERT', dynamodb: { NewImage: image as never } };
}

/**
 * The items the DynamoDB store inserts into the messages table, built by the store's own
 * item builders with the attributes each writer gives them: only segments that hold new
 * messages may start push delivery, and the stack's stream filter and the push-stream
 * function must agree on which those are.
 */
const items = {
  // appender.ts writeDraft: single sends, batches, delayed releases and transaction commits.
  newMessages: segmentItem({
    q: 'orders#3',
    firstOffset: 40,
    count: 2,
    data,
    storeTimestamp: 1_700_000_000_000,
    expireAt: 1_700_300_000_000,
    timeMarker: 1_700_000_000_005,
    reservedAt: 1_699_999_999_990,
  }),
  // appender.ts writeDraft when every entry turned out a duplicate: no live message, no store time.
  duplicatesOnly: segmentItem({
    q: 'orders#3',
    firstOffset: 42,
    count: 1,
    data,
    expireAt: 1_700_300_000_000,
    reservedAt: 1_699_999_999_990,
  }),
  // appender.ts voidRest: the unused rest of a reserved range.
  voidRest: segmentItem({ q: 'orders#3', firstOffset: 43, count: 5, data, expireAt: 1, reservedAt: 1 }),
  // sweeper.ts: the remainder of a partly expired segment, inserted at a new offset.
  sweepRemainder: segmentItem({
    q: 'orders#3',
    firstOffset: 41,
    count: 1,
    data,
    storeTimestamp: 1_700_000_000_000,
    expireAt: 1_700_300_000_000,
  }),
  tombstone: putTombstone(tables, 'orders#3', 48, 1_700_000_000_000).Item as Record<string, AttributeValue>,
  floor: putFloor(tables, 'orders#3', 0, 40, undefined).Item as Record<string, AttributeValue>,
};

describe('new segments on the messages stream', () => {
  it('the push-stream function finds new messages only in segments the appender wrote with a live message', () => {
    for (const [kind, item] of Object.entries(items)) {
      const expected = kind === 'newMessages' ? ['orders'] : [];
      expect([...topicsOfNewMessages([inserted(item)])], kind).toEqual(expected);
    }
  });

  it("the stack's stream filter passes exactly the records the function counts", () => {
    for (const [kind, item] of Object.entries(items)) {
      expect(passesStreamFilter(inserted(item)), kind).toBe(kind === 'newMessages');
    }
  });

  it('a rewritten item is not a new message', () => {
    const record = { ...inserted(items.newMessages), eventName: 'MODIFY' as const };
    expect(passesStreamFilter(record)).toBe(false);
    expect(topicsOfNewMessages([record]).size).toBe(0);
  });

  it('topics keep every part of the queue key but the queue id', () => {
    const item = { ...items.newMessages, q: { S: 'click-stream_v2#7' } };
    expect([...topicsOfNewMessages([inserted(item)])]).toEqual(['click-stream_v2']);
  });
});
