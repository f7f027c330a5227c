import type { DeleteItemCommandInput, PutItemCommandInput, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { N, S } from './attributes.ts';
import { cursorKey } from './consumption-requests.ts';
import type { Item } from './gateway.ts';
import type { TableNames } from './table-definitions.ts';

/**
 * Request builders of the claim without a transaction (`lease-claims.ts`): the lease item
 * on its fixed key is the lock, the cursor follows with a compare-and-set on its position
 * and version. Each condition names the race it prevents.
 */

/**
 * Puts a claim's lease item. Race prevented: two receivers claiming from the same cursor
 * position write the same key (`queueId#c<from>`); only the first put lands, and the
 * loser gets the winner's item back (ALL_OLD) to finish its move instead of waiting.
 */
export function putClaimItem(tables: TableNames, item: Item): PutItemCommandInput {
  return {
    TableName: tables.state,
    Item: item,
    ConditionExpression: 'attribute_not_exists(p)',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * Replaces a stale lease item (left at this key by an earlier pass before the cursor moved
 * back) with its leases plus the new ones. Race prevented: any change to it since it was
 * read (`ver`: an ack, a redelivery, another merge) fails the put rather than dropping a lease.
 */
export function putMergedClaimItem(tables: TableNames, item: Item, expectedVersion: number): PutItemCommandInput {
  return {
    TableName: tables.state,
    Item: item,
    ConditionExpression: 'ver = :ver',
    ExpressionAttributeValues: { ':ver': N(expectedVersion) },
  };
}

/**
 * Moves a cursor from (`from`, version `cv`) to `to`, one version on. Race prevented: the
 * position alone can repeat (an offset reset moves a cursor back), so a receiver finishing
 * someone's claim could otherwise move a cursor that has since come back to the same
 * offset; the version never repeats. A cursor without `cv` has version 0. On failure the
 * current cursor comes back (ALL_OLD), so the claimer can tell "finished by another" from
 * "moved elsewhere".
 */
export function moveCursor(
  tables: TableNames,
  lane: string,
  topic: string,
  queueId: number,
  move: { from: number; version: number; to: number; claim: string },
): UpdateItemCommandInput {
  return {
    TableName: tables.state,
    Key: cursorKey(lane, topic, queueId),
    // `w` names the claim whose move this was, so its claimer can tell its own move, finished
    // by another receiver, from an identical move of a later claim at the same key.
    UpdateExpression: 'SET #at = :to, cv = :next, w = :claim',
    ConditionExpression: move.version === 0 ? '#at = :from AND attribute_not_exists(cv)' : '#at = :from AND cv = :cv',
    // `at` is a reserved word in DynamoDB expressions.
    ExpressionAttributeNames: { '#at': 'at' },
    ExpressionAttributeValues: {
      ':from': N(move.from),
      ':to': N(move.to),
      ':next': N(move.version + 1),
      ':claim': S(move.claim),
      ...(move.version === 0 ? {} : { ':cv': N(move.version) }),
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * Withdraws a claim item whose cursor move lost. Race prevented: if anyone changed the item
 * since this claim wrote it (`ver` moved on: merged into, acked, redelivered), it stays; its
 * leases then come back after their invisible time, they are never lost.
 */
export function withdrawClaimItem(tables: TableNames, key: Item, version: number): DeleteItemCommandInput {
  return {
    TableName: tables.state,
    Key: key,
    ConditionExpression: 'ver = :ver',
    ExpressionAttributeValues: { ':ver': N(version) },
  };
}
