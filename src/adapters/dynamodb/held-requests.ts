import type { PutItemCommandInput, QueryCommandInput, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { MessageToAppend } from '../../core/model.ts';
import type { HeldMessage, HeldState, HoldKind, MessageToHold } from '../../core/ports/store.ts';
import { B, bin, N, num, S, str, ttlSeconds } from './attributes.ts';
import type { Item } from './gateway.ts';
import { pad, SINGLE_SORT_KEY } from './keys.ts';
import { INDEXES, type TableNames } from './table-definitions.ts';

/**
 * Pure builders of the held table's requests (no I/O): item layout, codec, and the one
 * place where each condition expression says which race it prevents. Layout: README.md,
 * "Held messages".
 */

/** Shards of the due index per kind: one index partition takes ~1,000 writes/s, so holds spread over 8. */
export const DUE_SHARDS = 8;
/** Shards of a topic's listing in the by-topic index. */
export const TOPIC_SHARDS = 4;

/** Stored states: RELEASING is HELD to the outside (a release is under way and will finish). */
export const STATE = { held: 'H', releasing: 'G', released: 'R', cancelled: 'C' } as const;
type StoredState = (typeof STATE)[keyof typeof STATE];

export function recordKey(topic: string, msgId: string): Item {
  return { p: S(`M#${topic}#${msgId}`), s: S(SINGLE_SORT_KEY) };
}

/** The hold idempotency record of a (topic, messageId). */
export function holdIdKey(topic: string, messageId: string): Item {
  return { p: S(`I#${topic}#${messageId}`), s: S(SINGLE_SORT_KEY) };
}

/** Small, stable string hash (FNV-1a): the shard of a msgId or messageId. */
export function shardOf(text: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

export function dueShardKey(kind: HoldKind, shard: number): string {
  return `${kind}#${shard}`;
}

export function topicShardKey(topic: string, shard: number): string {
  return `${topic}#${shard}`;
}

/** Sort key of a pending record in the by-topic index: kind, then due time, then msgId. */
export function pendingSortKey(kind: HoldKind, dueAt: number, msgId: string): string {
  return `H#${kind}#${pad(dueAt)}#${msgId}`;
}

/** Sort key of a settled record (kept only so deleting the topic finds it). */
function settledSortKey(msgId: string): string {
  return `X#${msgId}`;
}

/**
 * The idempotency key of a release's append. It makes a second release after a crash find
 * the first append instead of appending again: the client's messageId (unique among the
 * topic's held messages, since holds are deduplicated by it) or one derived from the msgId
 * in the `%held%` namespace, which client messageIds cannot enter (they may not start with `%`).
 */
export function releaseKey(message: MessageToAppend): string {
  return message.messageId ?? `${RELEASE_KEY_PREFIX}${message.msgId}`;
}

export const RELEASE_KEY_PREFIX = '%held%';

/** The message to append on release, stored at the time of this append (a retry returns the first). */
export function releaseAppend(message: MessageToAppend, now: number): MessageToAppend {
  return { ...message, storeTimestamp: now, messageId: releaseKey(message) };
}

export function holdRecordItem(entry: MessageToHold): Item {
  const { message } = entry;
  const { body, ...meta } = message;
  return {
    ...recordKey(message.topic, message.msgId),
    k: S(entry.kind),
    st: S(STATE.held),
    d: N(entry.dueAt),
    c: N(0),
    j: S(JSON.stringify(meta)),
    b: B(body),
    e: N(message.expireAt),
    ttl: N(ttlSeconds(message.expireAt)),
    hk: S(dueShardKey(entry.kind, shardOf(message.msgId, DUE_SHARDS))),
    hd: N(entry.dueAt),
    ht: S(topicShardKey(message.topic, shardOf(message.msgId, TOPIC_SHARDS))),
    hs: S(pendingSortKey(entry.kind, entry.dueAt, message.msgId)),
  };
}

export function decodeHeld(item: Item): HeldMessage {
  const meta = JSON.parse(str(item, 'j') ?? '{}') as Omit<MessageToAppend, 'body'>;
  const stored = (str(item, 'st') ?? STATE.held) as StoredState;
  const state: HeldState = stored === STATE.released ? 'RELEASED' : stored === STATE.cancelled ? 'CANCELLED' : 'HELD';
  const held: HeldMessage = {
    kind: (str(item, 'k') ?? 'DELAY') as HoldKind,
    message: { ...meta, body: bin(item, 'b') ?? new Uint8Array() },
    dueAt: num(item, 'd') ?? 0,
    state,
    checks: num(item, 'c') ?? 0,
  };
  const offset = num(item, 'o');
  if (offset !== undefined) held.queueOffset = offset;
  const reason = str(item, 'r');
  if (reason !== undefined) held.reason = reason;
  const settledAt = num(item, 'sa');
  if (settledAt !== undefined) held.settledAt = settledAt;
  return held;
}

export function storedState(item: Item): StoredState {
  return (str(item, 'st') ?? STATE.held) as StoredState;
}

/**
 * Writes a new held record. Race prevented: a retried hold (its first response lost) or a
 * record that has since moved on (released, cancelled) is never overwritten.
 */
export function putHeldRecord(tables: TableNames, item: Item): PutItemCommandInput {
  return {
    TableName: tables.held,
    Item: item,
    ConditionExpression: 'attribute_not_exists(p)',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * Claims a (topic, messageId) for one held message, in the same transaction as its record.
 * Race prevented: two holds with one messageId; the loser finds the winner's msgId. An
 * expired claim, or one whose record is gone (`staleMsgId`: the topic was deleted), may be
 * replaced.
 */
export function putHoldId(
  tables: TableNames,
  message: { topic: string; messageId: string; msgId: string; expireAt: number },
  now: number,
  staleMsgId: string | undefined,
): PutItemCommandInput {
  const values: Item = { ':now': N(now) };
  let condition = 'attribute_not_exists(p) OR e <= :now';
  if (staleMsgId !== undefined) {
    condition += ' OR i = :stale';
    values[':stale'] = S(staleMsgId);
  }
  return {
    TableName: tables.held,
    Item: {
      ...holdIdKey(message.topic, message.messageId),
      i: S(message.msgId),
      e: N(message.expireAt),
      ttl: N(ttlSeconds(message.expireAt)),
      // Listed with the topic, so deleting the topic removes it.
      ht: S(topicShardKey(message.topic, shardOf(message.messageId, TOPIC_SHARDS))),
      hs: S(`I#${message.messageId}`),
    },
    ConditionExpression: condition,
    ExpressionAttributeValues: values,
  };
}

/**
 * HELD -> RELEASING, noting when the release began (a release still RELEASING long after
 * is taken for dead by the release fence, held-messages.ts). Race prevented: a cancel, or another driver's release, got there first;
 * exactly one of them moves the record off HELD.
 */
export function markReleasing(tables: TableNames, topic: string, msgId: string, now: number): UpdateItemCommandInput {
  return {
    TableName: tables.held,
    Key: recordKey(topic, msgId),
    UpdateExpression: 'SET st = :releasing, rt = :now',
    ConditionExpression: 'st = :held AND e > :now',
    ExpressionAttributeValues: { ':releasing': S(STATE.releasing), ':held': S(STATE.held), ':now': N(now) },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * RELEASING -> RELEASED with the queue offset and store time of the append; the record
 * leaves the due index. Race prevented: two drivers finishing the same release write the
 * same values, so RELEASED is accepted too; a record the release fence settled as
 * CANCELLED (`fz`: a release it judged dead) that is appended after all becomes RELEASED,
 * which is what happened; anything else is left alone.
 */
export function markReleased(
  tables: TableNames,
  topic: string,
  msgId: string,
  appended: { queueOffset: number; storeTimestamp: number },
  now: number,
): UpdateItemCommandInput {
  return {
    TableName: tables.held,
    Key: recordKey(topic, msgId),
    UpdateExpression:
      'SET st = :released, o = :o, ot = :ot, sa = if_not_exists(sa, :now), hs = :hs REMOVE hk, hd, r, fz',
    ConditionExpression: 'st IN (:releasing, :released) OR (st = :cancelled AND attribute_exists(fz))',
    ExpressionAttributeValues: {
      ':released': S(STATE.released),
      ':releasing': S(STATE.releasing),
      ':cancelled': S(STATE.cancelled),
      ':o': N(appended.queueOffset),
      ':ot': N(appended.storeTimestamp),
      ':now': N(now),
      ':hs': S(settledSortKey(msgId)),
    },
  };
}

/**
 * RELEASING -> CANCELLED, for a release that died before appending (the release fence
 * found its topic gone or recreated). Race prevented: only the release attempt that was
 * judged dead (`rt` unchanged) is settled; `fz` lets that release, should it append after
 * all, still record RELEASED (markReleased).
 */
export function markReleasingCancelled(
  tables: TableNames,
  topic: string,
  msgId: string,
  releasingSince: number,
  reason: string,
  now: number,
): UpdateItemCommandInput {
  return {
    TableName: tables.held,
    Key: recordKey(topic, msgId),
    UpdateExpression: 'SET st = :cancelled, r = :reason, sa = :now, hs = :hs, fz = :one REMOVE hk, hd',
    ConditionExpression: 'st = :releasing AND rt = :rt',
    ExpressionAttributeValues: {
      ':cancelled': S(STATE.cancelled),
      ':releasing': S(STATE.releasing),
      ':rt': N(releasingSince),
      ':reason': S(reason),
      ':now': N(now),
      ':one': N(1),
      ':hs': S(settledSortKey(msgId)),
    },
  };
}

/**
 * HELD -> CANCELLED. Race prevented: a release that moved it to RELEASING first wins (the
 * cancel then answers RELEASED); of two cancels, one writes.
 */
export function markCancelled(
  tables: TableNames,
  topic: string,
  msgId: string,
  reason: string,
  now: number,
): UpdateItemCommandInput {
  return {
    TableName: tables.held,
    Key: recordKey(topic, msgId),
    UpdateExpression: 'SET st = :cancelled, r = :reason, sa = :now, hs = :hs REMOVE hk, hd',
    ConditionExpression: 'st = :held',
    ExpressionAttributeValues: {
      ':cancelled': S(STATE.cancelled),
      ':held': S(STATE.held),
      ':reason': S(reason),
      ':now': N(now),
      ':hs': S(settledSortKey(msgId)),
    },
  };
}

/**
 * A new due time and one more check. Race prevented: a check-back done twice (two drivers,
 * a retry) counts once, since only the first finds `checks` at the expected value; a record
 * that left HELD meanwhile is not brought back into the due index.
 */
export function rescheduleRecord(
  tables: TableNames,
  held: { kind: HoldKind; topic: string; msgId: string },
  expectedChecks: number,
  dueAt: number,
  lease: string,
): UpdateItemCommandInput {
  return {
    TableName: tables.held,
    Key: recordKey(held.topic, held.msgId),
    // `cl` names the lease that made this check, so a retry of a write whose answer was lost
    // can tell its own write from another driver's (the old item comes back on failure).
    UpdateExpression: 'SET d = :due, hd = :due, hs = :hs, c = :next, cl = :lease',
    // Race prevented: two drivers (or two pollers) taking the same check. Only the one that
    // still sees the check count it read moves it on; a settled record is never rescheduled.
    ConditionExpression: 'st = :held AND c = :expected',
    ExpressionAttributeValues: {
      ':due': N(dueAt),
      ':hs': S(pendingSortKey(held.kind, dueAt, held.msgId)),
      ':next': N(expectedChecks + 1),
      ':held': S(STATE.held),
      ':expected': N(expectedChecks),
      ':lease': S(lease),
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * Takes an expired record out of the due index and the topic's pending listing (it can
 * never be released); it stays findable by the topic's deletion under its settled sort key.
 * Race prevented: only a record that is still expired and still pending is changed (a
 * release or cancel that settled it meanwhile keeps its own index state); TTL deletes it later.
 */
export function retireExpiredRecord(tables: TableNames, key: Item, now: number): UpdateItemCommandInput {
  const msgId = (str(key, 'p') ?? '').split('#').pop() ?? '';
  return {
    TableName: tables.held,
    Key: key,
    UpdateExpression: 'SET hs = :hs REMOVE hk, hd',
    ConditionExpression: 'e <= :now AND st IN (:held, :releasing)',
    ExpressionAttributeValues: {
      ':now': N(now),
      ':hs': S(settledSortKey(msgId)),
      ':held': S(STATE.held),
      ':releasing': S(STATE.releasing),
    },
  };
}

/** One shard of the due index, earliest first, up to `dueBy`. */
export function queryDue(
  tables: TableNames,
  kind: HoldKind,
  shard: number,
  dueBy: number,
  limit: number,
  dueFrom?: number,
): QueryCommandInput {
  if (dueFrom !== undefined) {
    return {
      TableName: tables.held,
      IndexName: INDEXES.heldDue,
      KeyConditionExpression: 'hk = :hk AND hd BETWEEN :from AND :due',
      ExpressionAttributeValues: { ':hk': S(dueShardKey(kind, shard)), ':from': N(dueFrom), ':due': N(dueBy) },
      Limit: limit,
    };
  }
  return {
    TableName: tables.held,
    IndexName: INDEXES.heldDue,
    KeyConditionExpression: 'hk = :hk AND hd <= :due',
    ExpressionAttributeValues: { ':hk': S(dueShardKey(kind, shard)), ':due': N(dueBy) },
    Limit: limit,
  };
}

/** One shard of a topic's pending records of one kind, after a sort key, by due time. */
export function queryTopicPending(
  tables: TableNames,
  topic: string,
  kind: HoldKind,
  shard: number,
  afterKey: string | undefined,
  limit: number,
): QueryCommandInput {
  // Exclusive start: '!' sorts below every msgId character, so nothing valid lies between.
  const from = afterKey === undefined ? `H#${kind}#` : `${afterKey}!`;
  return {
    TableName: tables.held,
    IndexName: INDEXES.heldByTopic,
    KeyConditionExpression: 'ht = :ht AND hs BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':ht': S(topicShardKey(topic, shard)), ':from': S(from), ':to': S(`H#${kind}#~`) },
    Limit: limit,
  };
}

/** Every record of a topic's shard (any state, and hold idempotency records), for deletion. */
export function queryTopicAll(tables: TableNames, topic: string, shard: number, startKey?: Item): QueryCommandInput {
  return {
    TableName: tables.held,
    IndexName: INDEXES.heldByTopic,
    KeyConditionExpression: 'ht = :ht',
    ExpressionAttributeValues: { ':ht': S(topicShardKey(topic, shard)) },
    ExclusiveStartKey: startKey,
  };
}
