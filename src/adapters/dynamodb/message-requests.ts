import type {
  PutItemCommandInput,
  QueryCommandInput,
  TransactWriteItem,
  UpdateItemCommandInput,
  WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { B, N, S, ttlSeconds } from './attributes.ts';
import type { Item } from './gateway.ts';
import {
  dedupPartition,
  HEAD_OFFSET,
  keyIndexPartition,
  keyIndexSortKey,
  QUEUES_INDEX_KEY,
  queueKey,
  SINGLE_SORT_KEY,
} from './keys.ts';
import type { TableNames } from './table-definitions.ts';

/**
 * Pure builders of the messages-table requests (no I/O): unit-testable, and the single
 * place where each condition expression says which race it prevents.
 */

/**
 * How many recent reservations the head item remembers, so a retried reservation finds its
 * own even after this many others got in between. 20 ids of 12 characters and their bases
 * keep the head item under 1 KB, so a reservation still costs 1 WCU.
 */
export const RESERVATION_SLOTS = 20;

export interface ReservationRequest {
  count: number;
  /** Unique per logical reservation: a retry after a lost response sends the same id. */
  id: string;
  /** The writer's clock at reservation: readers judge the age of a hole below the tail by it. */
  at: number;
  /** The topic incarnation the writer writes to (the topic record's `ic`, topic-incarnations.ts). */
  incarnation: number;
}

/**
 * Reserves `count` offsets of a queue: ADD on the queue's head item returns the old
 * counter, so [old, old + count) belongs to this writer alone (a range holding a multiple
 * of 128 marks the sparse time index, reservation.ts). `hk` lists the head in the queues index (written once per queue).
 * `rt` records when the newest reservation was made, so any reader can tell how old a
 * hole below the tail is.
 *
 * Races prevented: (1) the gateway retrying the ADD after a lost response would reserve a
 * second range and abandon the first; the head keeps the ids and bases of the last few
 * reservations (`r0..`, `b0..`), the condition refuses an id it already holds, and the
 * writer takes its base from the slot. (2) A writer of a topic that was deleted (and maybe
 * re-created) since it learnt the topic's incarnation: deleting sets the head's `ic` to the
 * next incarnation before anything else is removed, so every reservation, the first of an
 * append too, must name the head's incarnation (a head that was never fenced takes the
 * writer's).
 */
export function reserveOffsets(tables: TableNames, q: string, request: ReservationRequest): UpdateItemCommandInput {
  const shifts: string[] = [];
  for (let i = RESERVATION_SLOTS - 1; i > 0; i--) {
    shifts.push(`r${i} = if_not_exists(r${i - 1}, :none)`, `b${i} = if_not_exists(b${i - 1}, :zero)`);
  }
  const notMine = Array.from(
    { length: RESERVATION_SLOTS },
    (_, i) => `(attribute_not_exists(r${i}) OR r${i} <> :id)`,
  ).join(' AND ');
  const values: Item = {
    ':count': N(request.count),
    ':hk': S(QUEUES_INDEX_KEY),
    ':id': S(request.id),
    ':at': N(request.at),
    ':none': S('-'),
    ':zero': N(0),
  };
  values[':ic'] = N(request.incarnation);
  const condition = `${notMine} AND (attribute_not_exists(ic) OR ic = :ic)`;
  return {
    TableName: tables.messages,
    Key: { q: S(q), o: N(HEAD_OFFSET) },
    UpdateExpression: `SET hk = if_not_exists(hk, :hk), rt = :at, ic = if_not_exists(ic, :ic), ${shifts.join(', ')}, r0 = :id, b0 = if_not_exists(n, :zero) ADD n :count`,
    ConditionExpression: condition,
    ExpressionAttributeValues: values,
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * Fences a deleted topic's queue: moves the head to the next incarnation (the one the topic
 * record now names, catalog.ts) and returns the head, whose `n` is the end of every range
 * reserved so far. Every reservation names its incarnation, so none of the deleted one
 * gets an offset from here on. Unconditional: a retried deletion sets the same value.
 */
export function fenceQueueHead(tables: TableNames, q: string, incarnation: number): UpdateItemCommandInput {
  return {
    TableName: tables.messages,
    Key: { q: S(q), o: N(HEAD_OFFSET) },
    UpdateExpression: 'SET ic = :ic',
    ExpressionAttributeValues: { ':ic': N(incarnation) },
    ReturnValues: 'ALL_NEW',
  };
}

export interface SegmentAttributes {
  q: string;
  firstOffset: number;
  count: number;
  data: Uint8Array;
  /** Absent on void-only segments (they hold no message, so no time index entry). */
  storeTimestamp?: number;
  expireAt: number;
  /**
   * Set on the first segment of a range that holds a multiple of 128 offsets: the sparse time
   * index entry, at a time no message below it was stored after (Reservation.markAt).
   */
  timeMarker?: number;
  /** When its range was reserved (the writer's `rt`): bounds the age of any hole below it. */
  reservedAt?: number;
}

export function segmentItem(segment: SegmentAttributes): Item {
  const item: Item = {
    q: S(segment.q),
    o: N(segment.firstOffset),
    n: N(segment.count),
    m: B(segment.data),
    e: N(segment.expireAt),
    ttl: N(ttlSeconds(segment.expireAt)),
  };
  if (segment.reservedAt !== undefined) item['rt'] = N(segment.reservedAt);
  if (segment.storeTimestamp !== undefined) {
    item['st'] = N(segment.storeTimestamp);
    if (segment.timeMarker !== undefined) item['ts'] = N(Math.max(segment.storeTimestamp, segment.timeMarker));
  }
  return item;
}

/**
 * Writes a segment at its first offset. Race prevented: a reader that gave up waiting for
 * this reserved range sealed its first offset with a tombstone; the put then fails and the
 * writer re-reserves, so the messages are neither lost nor stored twice. ALL_OLD lets a
 * retried put recognise its own earlier success.
 */
export function putSegment(tables: TableNames, segment: Item): PutItemCommandInput {
  return {
    TableName: tables.messages,
    Item: segment,
    ConditionExpression: 'attribute_not_exists(o)',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

export function putSegmentTransactItem(tables: TableNames, segment: Item): TransactWriteItem {
  return {
    Put: {
      TableName: tables.messages,
      Item: segment,
      // Same race as putSegment: a sealed first offset makes the whole transaction fail.
      ConditionExpression: 'attribute_not_exists(o)',
    },
  };
}

/**
 * The sweep's remainder of a partly expired segment, at an offset inside the old one. It
 * is written BEFORE the floor replaces the old segment: until then readers take the old
 * segment (it starts lower and covers the remainder), so a crash between the two loses
 * nothing. No writer targets that offset; two sweeps that read the same segment write
 * the same bytes, and one whose floor loses the compare-and-set leaves a copy that reads
 * the same as the winner's.
 */
export function putSegmentRemainder(tables: TableNames, segment: Item): PutItemCommandInput {
  return { TableName: tables.messages, Item: segment };
}

/** Items of a queue from `fromOffset` upward; the head item (at HEAD_OFFSET) comes last. */
export function queryForward(
  tables: TableNames,
  q: string,
  fromOffset: number,
  limit: number,
  consistent: boolean,
  startKey?: Item,
): QueryCommandInput {
  return {
    TableName: tables.messages,
    KeyConditionExpression: 'q = :q AND o >= :from',
    ExpressionAttributeValues: { ':q': S(q), ':from': N(fromOffset) },
    Limit: limit,
    ConsistentRead: consistent,
    ExclusiveStartKey: startKey,
  };
}

/** Items of a queue at or below `atOrBelow`, newest first: finds the segment covering an offset. */
export function queryBackward(
  tables: TableNames,
  q: string,
  atOrBelow: number,
  limit: number,
  consistent: boolean,
  startKey?: Item,
): QueryCommandInput {
  return {
    TableName: tables.messages,
    KeyConditionExpression: 'q = :q AND o <= :at',
    ExpressionAttributeValues: { ':q': S(q), ':at': N(atOrBelow) },
    ScanIndexForward: false,
    Limit: limit,
    ConsistentRead: consistent,
    ExclusiveStartKey: startKey,
  };
}

export function headKey(topic: string, queueId: number): Item {
  return { q: S(queueKey(topic, queueId)), o: N(HEAD_OFFSET) };
}

export interface DedupRecord {
  topic: string;
  messageId: string;
  queueId: number;
  queueOffset: number;
  msgId: string;
  expireAt: number;
}

export function dedupKey(topic: string, messageId: string): Item {
  return { p: S(dedupPartition(topic, messageId)), s: S(SINGLE_SORT_KEY) };
}

/**
 * Claims a (topic, messageId) before any offset is reserved, so duplicates never take an
 * offset. Race prevented: two concurrent sends with one messageId; the second finds the
 * claim and waits for its outcome. An expired record, a record proven stale (its message
 * is gone, `staleMsgId`) and a claim pending since before `staleBefore` (its sender died)
 * may be replaced.
 */
export function claimDedup(
  tables: TableNames,
  claim: { topic: string; messageId: string; owner: string; expireAt: number },
  times: { now: number; wallNow: number; staleBefore: number },
  staleMsgId?: string,
): PutItemCommandInput {
  const values: Item = {
    ':now': N(times.now),
    ':pending': S(DEDUP_PENDING),
    ':staleBefore': N(times.staleBefore),
  };
  let condition = 'attribute_not_exists(p) OR e <= :now OR (ks = :pending AND ca < :staleBefore)';
  if (staleMsgId !== undefined) {
    condition += ' OR i = :stale';
    values[':stale'] = S(staleMsgId);
  }
  return {
    TableName: tables.index,
    Item: {
      ...dedupKey(claim.topic, claim.messageId),
      ks: S(DEDUP_PENDING),
      w: S(claim.owner),
      ca: N(times.wallNow),
      e: N(claim.expireAt),
      ttl: N(ttlSeconds(claim.expireAt)),
    },
    ConditionExpression: condition,
    ExpressionAttributeValues: values,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

export const DEDUP_PENDING = 'P';
export const DEDUP_DONE = 'D';

/**
 * Completes a claim with where the message went, in the same transaction as its segment.
 * Race prevented: a sender that took over this claim (we were too slow) owns it now; then
 * the whole segment write fails and this message is not stored by us.
 */
export function completeDedupTransactItem(tables: TableNames, record: DedupRecord, owner: string): TransactWriteItem {
  return {
    Update: {
      TableName: tables.index,
      Key: dedupKey(record.topic, record.messageId),
      UpdateExpression: 'SET ks = :done, qi = :qi, o = :o, i = :i REMOVE w, ca',
      ConditionExpression: 'w = :owner',
      ExpressionAttributeValues: {
        ':done': S(DEDUP_DONE),
        ':qi': N(record.queueId),
        ':o': N(record.queueOffset),
        ':i': S(record.msgId),
        ':owner': S(owner),
      },
    },
  };
}

/**
 * Key index entries are written after their segments: an index write that fails or is
 * throttled then never leaves a reserved offset unwritten. Unconditional and idempotent.
 */
export function putKeyIndex(
  topic: string,
  key: string,
  message: { msgId: string; storeTimestamp: number; expireAt: number; queueId: number; queueOffset: number },
): WriteRequest {
  return {
    PutRequest: {
      Item: {
        p: S(keyIndexPartition(topic, key)),
        s: S(keyIndexSortKey(message.storeTimestamp, message.msgId)),
        qi: N(message.queueId),
        o: N(message.queueOffset),
        e: N(message.expireAt),
        ttl: N(ttlSeconds(message.expireAt)),
      },
    },
  };
}
