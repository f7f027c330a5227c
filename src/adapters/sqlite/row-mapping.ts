import type { SQLInputValue, SQLOutputValue } from 'node:sqlite';
import type { DeadLetter, MessageToAppend, StoredMessage } from '../../core/model.ts';
import type { DeadLetterPosition, Lease } from '../../core/ports/store.ts';

/** Raw rows as node:sqlite returns them (integers as numbers, BLOBs as Uint8Array). */
export type Row = Record<string, SQLOutputValue>;

/** Bind values for `insertMessage`, in its column order. */
export function messageInsertValues(message: MessageToAppend, queueOffset: number): SQLInputValue[] {
  return [
    message.topic,
    message.queueId,
    queueOffset,
    message.msgId,
    message.storeTimestamp,
    message.bornTimestamp,
    message.expireAt,
    message.messageId ?? null,
    message.tag ?? null,
    JSON.stringify(message.keys),
    JSON.stringify(message.properties),
    message.messageGroup ?? null,
    message.deliverAt ?? null,
    message.producerGroup ?? null,
    message.bornHost ?? null,
    message.body,
  ];
}

/** Optional fields are left out (not set to undefined) when the column is NULL. */
export function toStoredMessage(row: Row): StoredMessage {
  const message: StoredMessage = {
    msgId: row['msg_id'] as string,
    topic: row['topic'] as string,
    queueId: row['queue_id'] as number,
    queueOffset: row['queue_offset'] as number,
    body: row['body'] as Uint8Array,
    keys: JSON.parse(row['keys'] as string) as string[],
    properties: JSON.parse(row['properties'] as string) as Record<string, string>,
    bornTimestamp: row['born_ts'] as number,
    storeTimestamp: row['store_ts'] as number,
    expireAt: row['expire_at'] as number,
  };
  if (row['tag'] !== null) message.tag = row['tag'] as string;
  if (row['message_id'] !== null) message.messageId = row['message_id'] as string;
  if (row['message_group'] !== null) message.messageGroup = row['message_group'] as string;
  if (row['deliver_at'] !== null) message.deliverAt = row['deliver_at'] as number;
  if (row['producer_group'] !== null) message.producerGroup = row['producer_group'] as string;
  if (row['born_host'] !== null) message.bornHost = row['born_host'] as string;
  return message;
}

export function leaseInsertValues(lease: Lease): SQLInputValue[] {
  return [
    lease.consumer,
    lease.topic,
    lease.queueId,
    lease.queueOffset,
    lease.batchId,
    lease.msgId,
    lease.attempt,
    lease.visibleAt,
    lease.token,
    lease.messageGroup ?? null,
  ];
}

export function toLease(row: Row): Lease {
  return {
    consumer: row['consumer'] as string,
    topic: row['topic'] as string,
    queueId: row['queue_id'] as number,
    queueOffset: row['queue_offset'] as number,
    batchId: row['batch_id'] as string,
    msgId: row['msg_id'] as string,
    attempt: row['attempt'] as number,
    visibleAt: row['visible_at'] as number,
    token: row['token'] as string,
    ...(typeof row['message_group'] === 'string' ? { messageGroup: row['message_group'] } : {}),
  };
}

export function deadLetterInsertValues(entry: DeadLetter): SQLInputValue[] {
  return [
    entry.consumer,
    entry.topic,
    entry.queueId,
    entry.queueOffset,
    entry.group,
    entry.msgId,
    entry.deliveryAttempts,
    entry.deadAt,
    entry.reason,
  ];
}

export function toDeadLetter(row: Row): DeadLetter {
  return {
    group: row['group_name'] as string,
    consumer: row['consumer'] as string,
    topic: row['topic'] as string,
    queueId: row['queue_id'] as number,
    queueOffset: row['queue_offset'] as number,
    msgId: row['msg_id'] as string,
    deliveryAttempts: row['delivery_attempts'] as number,
    deadAt: row['dead_at'] as number,
    reason: row['reason'] as string,
  };
}

/** Sorts before every real dead letter (times and offsets are never negative). */
export const BEFORE_EVERY_DEAD_LETTER: DeadLetterPosition = {
  deadAt: -1,
  consumer: '',
  topic: '',
  queueId: -1,
  queueOffset: -1,
};

/** A JSON document column (topics, groups, producer groups). */
export function parseDoc<T>(row: Row | undefined): T | undefined {
  return row ? (JSON.parse(row['doc'] as string) as T) : undefined;
}
