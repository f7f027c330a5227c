import type {
  DeleteItemCommandInput,
  PutItemCommandInput,
  QueryCommandInput,
  TransactWriteItem,
  UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { LeaseUpdate } from '../../core/ports/store.ts';
import { N, S } from './attributes.ts';
import type { Item } from './gateway.ts';
import { cursorPartition, leasePartition } from './keys.ts';
import { compactText } from './lease-items.ts';
import { INDEXES, type TableNames } from './table-definitions.ts';

/** Pure builders of cursor and lease requests; each condition names the race it prevents. */

export function cursorKey(lane: string, topic: string, queueId: number): Item {
  return { p: S(cursorPartition(lane, topic)), s: S(String(queueId)) };
}

export function queryCursors(tables: TableNames, lane: string, topic: string): QueryCommandInput {
  return {
    TableName: tables.state,
    KeyConditionExpression: 'p = :p',
    ExpressionAttributeValues: { ':p': S(cursorPartition(lane, topic)) },
    // Cursors are compared-and-set by claims: a stale read only makes a claim fail, it never
    // hands a message out twice. Callers choose (Consumption.getCursors reads eventually first).
    ConsistentRead: true,
  };
}

/**
 * Every lease item of a lane on one queue. Read strongly: an orderly receive that missed a
 * lease just claimed elsewhere would take its message group for idle and hand out a later
 * message of it.
 */
export function queryQueueLeaseItems(
  tables: TableNames,
  lane: string,
  topic: string,
  queueId: number,
): QueryCommandInput {
  return {
    TableName: tables.state,
    KeyConditionExpression: 'p = :p AND begins_with(s, :q)',
    ExpressionAttributeValues: { ':p': S(leasePartition(lane, topic)), ':q': S(`${queueId}#`) },
    ConsistentRead: true,
  };
}

/** Race prevented: two receivers initialising one lane at once; the first value wins and is never moved back. */
export function putCursorIfAbsent(
  tables: TableNames,
  lane: string,
  topic: string,
  queueId: number,
  offset: number,
): PutItemCommandInput {
  return {
    TableName: tables.state,
    Item: { ...cursorKey(lane, topic, queueId), at: N(offset) },
    ConditionExpression: 'attribute_not_exists(p)',
  };
}

/**
 * Moves a cursor from `from` to `to`, one version (`cv`) on. Race prevented: two receivers
 * of one lane read the same range; only the one whose `from` is still current hands those
 * messages out. The version bump keeps claims without a transaction (`claim-requests.ts`)
 * from mistaking a cursor that came back to an offset for one that never left it.
 */
export function advanceCursor(
  tables: TableNames,
  lane: string,
  topic: string,
  queueId: number,
  from: number,
  to: number,
): UpdateItemCommandInput {
  return {
    TableName: tables.state,
    Key: cursorKey(lane, topic, queueId),
    UpdateExpression: 'SET #at = :to ADD cv :one',
    ConditionExpression: '#at = :from',
    // `at` is a reserved word in DynamoDB expressions.
    ExpressionAttributeNames: { '#at': 'at' },
    ExpressionAttributeValues: { ':from': N(from), ':to': N(to), ':one': N(1) },
    ReturnValues: 'ALL_NEW',
  };
}

/**
 * Changes one lease. Race prevented: the token fences stale receipt handles (an ack or a
 * redelivery got there first). With `keepEarliest`, also requires `mv <= visibleAt`, so
 * the item's earliest time stays a lower bound; otherwise lowers `mv` to `visibleAt`, only
 * while `mv > visibleAt`: a concurrent update that lowered it further (another lease of the
 * batch nacked to now) must not be raised again, or that lease would hide from redelivery.
 */
export function updateLeaseEntry(
  tables: TableNames,
  key: Item,
  offset: number,
  expectedToken: string,
  update: LeaseUpdate,
  keepEarliest: boolean,
): UpdateItemCommandInput {
  // Without an attempt the stored one stays: nack and extensions never take it from a client's handle.
  const set =
    update.attempt === undefined ? 'SET l.#o.v = :v, l.#o.t = :t' : 'SET l.#o.a = :a, l.#o.v = :v, l.#o.t = :t';
  return {
    TableName: tables.state,
    Key: key,
    UpdateExpression: keepEarliest ? `${set} ADD ver :one` : `${set}, mv = :v ADD ver :one`,
    ConditionExpression: keepEarliest ? 'l.#o.t = :expected AND mv <= :v' : 'l.#o.t = :expected AND mv > :v',
    ExpressionAttributeNames: { '#o': String(offset) },
    ExpressionAttributeValues: {
      ...(update.attempt === undefined ? {} : { ':a': N(update.attempt) }),
      ':v': N(update.visibleAt),
      ':t': compactText(update.token),
      ':expected': compactText(expectedToken),
      ':one': N(1),
    },
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * Removes acked leases from a batch item. Race prevented: each entry is removed only if
 * its token still matches, so a handle from an earlier delivery cannot ack a redelivery.
 */
export function removeLeaseEntries(
  tables: TableNames,
  key: Item,
  entries: readonly { offset: number; token: string }[],
): UpdateItemCommandInput {
  const names: Record<string, string> = {};
  const values: Item = { ':one': N(1) };
  const conditions: string[] = [];
  const removals: string[] = [];
  entries.forEach(({ offset, token }, i) => {
    names[`#o${i}`] = String(offset);
    values[`:t${i}`] = compactText(token);
    conditions.push(`l.#o${i}.t = :t${i}`);
    removals.push(`l.#o${i}`);
  });
  return {
    TableName: tables.state,
    Key: key,
    UpdateExpression: `REMOVE ${removals.join(', ')} ADD ver :one`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * Acks a whole batch by deleting its item: cheaper than removing entries and then the
 * empty item. Race prevented: the item must hold exactly these entries, all with their
 * tokens, so an unacked or redelivered lease is never dropped.
 */
export function deleteWholeLeaseItem(
  tables: TableNames,
  key: Item,
  entries: readonly { offset: number; token: string }[],
): DeleteItemCommandInput {
  const remove = removeLeaseEntries(tables, key, entries);
  return {
    TableName: tables.state,
    Key: key,
    ConditionExpression: `size(l) = :count AND ${remove.ConditionExpression}`,
    ExpressionAttributeNames: remove.ExpressionAttributeNames,
    ExpressionAttributeValues: {
      ...Object.fromEntries(Object.entries(remove.ExpressionAttributeValues ?? {}).filter(([name]) => name !== ':one')),
      ':count': N(entries.length),
    },
  };
}

export function removeLeaseEntryTransactItem(
  tables: TableNames,
  key: Item,
  offset: number,
  token: string,
): TransactWriteItem {
  const update = removeLeaseEntries(tables, key, [{ offset, token }]);
  return {
    Update: {
      TableName: tables.state,
      Key: key,
      UpdateExpression: update.UpdateExpression,
      ConditionExpression: update.ConditionExpression,
      ExpressionAttributeNames: update.ExpressionAttributeNames,
      ExpressionAttributeValues: update.ExpressionAttributeValues,
    },
  };
}

/** Deletes an emptied lease item. Race prevented: a concurrent change (`ver`) keeps the item alive. */
export function deleteEmptyLeaseItem(tables: TableNames, key: Item, version: number): DeleteItemCommandInput {
  return {
    TableName: tables.state,
    Key: key,
    ConditionExpression: 'ver = :ver',
    ExpressionAttributeValues: { ':ver': N(version) },
  };
}

/** Deletes a lease item left without entries. Race prevented: a lease merged into it meanwhile keeps it. */
export function deleteLeaseItemIfEmpty(tables: TableNames, key: Item): DeleteItemCommandInput {
  return {
    TableName: tables.state,
    Key: key,
    ConditionExpression: 'size(l) = :zero',
    ExpressionAttributeValues: { ':zero': N(0) },
  };
}

/** Raises a lagging `mv` to the true earliest time. Race prevented: any change since the read (`ver`) wins. */
export function repairEarliest(
  tables: TableNames,
  key: Item,
  version: number,
  earliest: number,
): UpdateItemCommandInput {
  return {
    TableName: tables.state,
    Key: key,
    UpdateExpression: 'SET mv = :mv',
    ConditionExpression: 'ver = :ver',
    ExpressionAttributeValues: { ':mv': N(earliest), ':ver': N(version) },
  };
}

/** Lease items of a lane whose earliest lease is due (keys only: the items are fetched after). */
export function queryDueLeaseItems(tables: TableNames, lane: string, now: number, limit: number): QueryCommandInput {
  return {
    TableName: tables.state,
    IndexName: INDEXES.dueLeases,
    KeyConditionExpression: 'c = :lane AND mv <= :now',
    ExpressionAttributeValues: { ':lane': S(lane), ':now': N(now) },
    Limit: limit,
  };
}

export function queryEarliestLeaseItem(tables: TableNames, lane: string, startKey?: Item): QueryCommandInput {
  return {
    TableName: tables.state,
    IndexName: INDEXES.dueLeases,
    KeyConditionExpression: 'c = :lane',
    ExpressionAttributeValues: { ':lane': S(lane) },
    Limit: 1,
    ExclusiveStartKey: startKey,
  };
}
