import type { PutItemCommandInput, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { N, S, ttlSeconds } from './attributes.ts';
import type { TableNames } from './table-definitions.ts';

/**
 * Pure builders of the messages-table items that cover offsets without holding messages:
 * tombstones (sealed holes) and floors (swept or deleted ranges). Each condition says
 * which race it prevents.
 */

/**
 * Seals one offset of an abandoned reservation, or (`span` > 1) a gap the reader watched
 * longer than any writer may live (hole-sealer.ts, RANGE_WATCH_MS). Race prevented: the
 * slow writer of that offset may still put its segment; whoever writes first owns the
 * offset, the other fails. (A put at an offset inside a range lands, but its writer is
 * then past its lifetime and fails the send: appender.ts.) `e` is the sealing time plus
 * RECORD_LIFETIME_MS: the sweep reads the tombstone's age from it (sweeper.ts).
 */
export function putTombstone(
  tables: TableNames,
  q: string,
  offset: number,
  expireAt: number,
  span = 1,
): PutItemCommandInput {
  return {
    TableName: tables.messages,
    Item: { q: S(q), o: N(offset), n: N(span), e: N(expireAt), ttl: N(ttlSeconds(expireAt)) },
    ConditionExpression: 'attribute_not_exists(o)',
  };
}

/** Same race as putTombstone, one offset each, for sealing up to 100 offsets in one transaction. */
export function tombstoneTransactItem(
  tables: TableNames,
  q: string,
  offset: number,
  expireAt: number,
): TransactWriteItem {
  const { TableName, Item, ConditionExpression } = putTombstone(tables, q, offset, expireAt);
  return { Put: { TableName, Item, ConditionExpression } };
}

/**
 * Widens the tombstone at `offset` over [offset, offset + span) once every offset in that
 * run holds its own tombstone, so readers step over the run with one item instead of one
 * per offset. Sound because the run's own tombstones still block every late put in it.
 * Race prevented: two readers widening one run; the wider span wins, and a segment is
 * never replaced (`m` absent).
 */
export function widenTombstone(
  tables: TableNames,
  q: string,
  offset: number,
  expireAt: number,
  span: number,
): PutItemCommandInput {
  return {
    TableName: tables.messages,
    Item: { q: S(q), o: N(offset), n: N(span), e: N(expireAt), ttl: N(ttlSeconds(expireAt)) },
    ConditionExpression: 'attribute_exists(o) AND attribute_not_exists(m) AND n < :span',
    ExpressionAttributeValues: { ':span': N(span) },
  };
}

/**
 * The floor of a queue: one tombstone covering everything the retention sweep removed,
 * so readers far behind skip it instead of waiting. It replaces the queue's first item,
 * which the sweep has just read: a segment (`previousSpan` undefined) or the floor with
 * that span. Race prevented: two sweeps of one queue; the one that read a stale first item
 * fails here and stops. It never expires.
 */
export function putFloor(
  tables: TableNames,
  q: string,
  offset: number,
  span: number,
  previousSpan: number | undefined,
): PutItemCommandInput {
  return {
    TableName: tables.messages,
    Item: { q: S(q), o: N(offset), n: N(span), e: N(0) },
    ...(previousSpan === undefined
      ? { ConditionExpression: 'attribute_exists(m)' }
      : {
          ConditionExpression: 'attribute_not_exists(m) AND n = :previous',
          ExpressionAttributeValues: { ':previous': N(previousSpan) },
        }),
  };
}

/**
 * The floor over every offset a deleted topic's queue ever reserved: a late writer's
 * segment that lands after the delete sits under it and is never read, also not by a
 * re-created topic of the same name (whose offsets continue above it). Unconditional: it
 * replaces whatever is at offset 0. It never expires.
 */
export function putDeletedTopicFloor(tables: TableNames, q: string, span: number): PutItemCommandInput {
  return { TableName: tables.messages, Item: { q: S(q), o: N(0), n: N(span), e: N(0) } };
}
