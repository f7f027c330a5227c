import type { MessageToAppend } from '../../core/model.ts';
import type { AppendResult } from '../../core/ports/store.ts';
import { messageInsertValues, type Row, toStoredMessage } from './row-mapping.ts';
import type { Statements } from './statements.ts';

/**
 * Appends a batch inside the current write transaction. Offsets come from the queue's
 * head row, so they are dense: a rolled-back append also rolls back its head update.
 * Idempotency: an unexpired message with the same (topic, messageId) is returned instead
 * of storing a new one; "unexpired" is judged at the new message's store time. An expired
 * holder gives up its messageId, so the unique index lets the new message take it.
 */
export function appendMessages(sql: Statements, messages: readonly MessageToAppend[]): AppendResult[] {
  const results: AppendResult[] = [];
  // Heads read once and written once per queue of the batch (a batch usually fills one queue).
  const heads = new Map<string, { topic: string; queueId: number; next: number }>();
  for (const message of messages) {
    if (message.messageId !== undefined) {
      const existing = sql.findByMessageId.get(message.topic, message.messageId) as Row | undefined;
      if (existing && (existing['expire_at'] as number) > message.storeTimestamp) {
        const stored = sql.messageByRowid.get(existing['id'] as number) as Row;
        results.push({ message: toStoredMessage(stored), duplicate: true });
        continue;
      }
      if (existing) sql.releaseMessageId.run(existing['id'] as number);
    }
    const headKey = `${message.queueId}:${message.topic}`;
    let head = heads.get(headKey);
    if (!head) {
      const row = sql.getHead.get(message.topic, message.queueId) as Row | undefined;
      head = {
        topic: message.topic,
        queueId: message.queueId,
        next: (row?.['next_offset'] as number | undefined) ?? 0,
      };
      heads.set(headKey, head);
    }
    const queueOffset = head.next++;
    const inserted = sql.insertMessage.run(...messageInsertValues(message, queueOffset));
    for (const key of message.keys) sql.insertKey.run(message.topic, key, inserted.lastInsertRowid);
    results.push({ message: { ...message, queueOffset }, duplicate: false });
  }
  for (const head of heads.values()) sql.setHead.run(head.topic, head.queueId, head.next);
  return results;
}

/** Deletes up to `limit` expired messages, oldest expiry first, with their key index rows. */
export function sweepExpired(sql: Statements, now: number, limit: number): number {
  if (limit <= 0) return 0;
  const expired = sql.expiredMessages.all(now, limit) as Row[];
  for (const row of expired) {
    const keys = JSON.parse(row['keys'] as string) as string[];
    for (const key of keys) sql.deleteKey.run(row['topic'] as string, key, row['id'] as number);
    sql.deleteMessage.run(row['id'] as number);
  }
  // Held records of delayed and half messages expire with their messages.
  const heldSwept = limit > expired.length ? Number(sql.sweepHeld.run(now, limit - expired.length).changes) : 0;
  return expired.length + heldSwept;
}

/** Removes the topic record and everything stored under it; true when the record existed. */
export function deleteTopicData(sql: Statements, name: string): boolean {
  sql.deleteTopicKeys.run(name);
  sql.deleteTopicMessages.run(name);
  sql.deleteTopicHeads.run(name);
  sql.deleteTopicCursors.run(name);
  sql.deleteTopicLeases.run(name);
  sql.deleteTopicDeadLetters.run(name);
  sql.deleteTopicHeld.run(name);
  return sql.deleteTopicRecord.run(name).changes > 0;
}
