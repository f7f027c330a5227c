import type { MessageToAppend } from '../../core/model.ts';
import type {
  AppendResult,
  CancelOutcome,
  HeldMessage,
  HoldResult,
  MessageToHold,
  ReleaseOutcome,
} from '../../core/ports/store.ts';
import { appendMessages } from './message-writes.ts';
import type { Row } from './row-mapping.ts';
import type { Statements } from './statements.ts';

/**
 * Held messages, each step inside the group-commit transaction: a release appends the
 * message and marks its record in the same transaction, so it happens once or not at all,
 * and a cancel in the same queue of writes sees the release (or the other way round).
 */

type MessageDoc = Omit<MessageToAppend, 'body'>;

export function toHeld(row: Row): HeldMessage {
  const doc = JSON.parse(row['doc'] as string) as MessageDoc;
  const held: HeldMessage = {
    kind: row['kind'] as HeldMessage['kind'],
    message: { ...doc, body: row['body'] as Uint8Array },
    dueAt: row['due_at'] as number,
    state: row['state'] as HeldMessage['state'],
    checks: row['checks'] as number,
  };
  if (row['queue_offset'] !== null) held.queueOffset = row['queue_offset'] as number;
  if (row['reason'] !== null) held.reason = row['reason'] as string;
  if (row['settled_at'] !== null) held.settledAt = row['settled_at'] as number;
  return held;
}

function liveRow(row: Row | undefined, now: number): Row | undefined {
  return row && (row['expire_at'] as number) > now ? row : undefined;
}

export function hold(sql: Statements, messages: readonly MessageToHold[]): HoldResult[] {
  return messages.map((entry) => {
    const { message } = entry;
    if (message.messageId !== undefined) {
      const existing = sql.heldByMessageId.get(message.topic, message.messageId) as Row | undefined;
      // Judged at the new message's store time, like appends: an expired holder frees its messageId.
      if (liveRow(existing, message.storeTimestamp)) return { held: toHeld(existing as Row), duplicate: true };
      if (existing) sql.releaseHeldMessageId.run(message.topic, existing['msg_id'] as string);
    }
    const { body, ...doc } = message;
    sql.insertHeld.run(
      message.topic,
      message.msgId,
      entry.kind,
      entry.dueAt,
      message.queueId,
      message.expireAt,
      message.messageId ?? null,
      JSON.stringify(doc),
      body,
    );
    return { held: { ...entry, state: 'HELD', checks: 0 }, duplicate: false };
  });
}

/** Releases one message; `appended` receives what the append wrote, for the store's unsynced-read fence. */
export function release(
  sql: Statements,
  topic: string,
  msgId: string,
  now: number,
  appended: (results: readonly AppendResult[]) => void,
): ReleaseOutcome {
  const row = liveRow(sql.getHeld.get(topic, msgId) as Row | undefined, now);
  if (!row) return { state: 'NOT_FOUND' };
  const held = toHeld(row);
  if (held.state === 'CANCELLED') return { state: 'CANCELLED', held };
  if (held.state === 'RELEASED') {
    // The same answer as the release that did it: the message as appended then.
    const message = { ...held.message, queueOffset: held.queueOffset ?? 0, storeTimestamp: held.settledAt ?? 0 };
    return { state: 'RELEASED', held, message };
  }
  const results = appendMessages(sql, [{ ...held.message, storeTimestamp: now }]);
  appended(results);
  const message = results[0]?.message;
  if (!message) throw new Error(`release of ${msgId} appended nothing`);
  sql.markHeldReleased.run(message.queueOffset, now, topic, msgId);
  return {
    state: 'RELEASED',
    message,
    held: { ...held, state: 'RELEASED', queueOffset: message.queueOffset, settledAt: now },
  };
}

export function cancel(sql: Statements, topic: string, msgId: string, reason: string, now: number): CancelOutcome {
  const row = liveRow(sql.getHeld.get(topic, msgId) as Row | undefined, now);
  if (!row) return { state: 'NOT_FOUND' };
  const held = toHeld(row);
  if (held.state === 'RELEASED') return { state: 'RELEASED', held };
  if (held.state === 'CANCELLED') return { state: 'CANCELLED', held };
  sql.markHeldCancelled.run(reason, now, topic, msgId);
  return { state: 'CANCELLED', held: { ...held, state: 'CANCELLED', reason, settledAt: now } };
}
