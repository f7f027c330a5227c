import type { MessageRef, StoredMessage } from '../../core/model.ts';
import type { QueueOffsets, QueueRead } from '../../core/ports/store.ts';
import { type Row, toStoredMessage } from './row-mapping.ts';
import type { Statements } from './statements.ts';

/**
 * Reads run outside the writer's transactions and see committed data only. Committed is
 * not yet confirmed (the WAL fsync runs after the commit), so the store passes readers of
 * a queue the first offset still waiting for its sync (unsynced-appends.ts).
 */

export function queueHead(sql: Statements, topic: string, queueId: number): number {
  const head = sql.getHead.get(topic, queueId) as Row | undefined;
  return (head?.['next_offset'] as number | undefined) ?? 0;
}

/**
 * The head is read first: every offset below it was committed together with it, so the
 * range [fromOffset, head) is complete and `nextOffset` may jump to the head when fewer
 * than `limit` live messages are found (skipping expired and swept offsets). Offsets from
 * `unconfirmedFrom` on are left for a later read.
 */
export function readQueue(
  sql: Statements,
  topic: string,
  queueId: number,
  fromOffset: number,
  limit: number,
  now: number,
  unconfirmedFrom = Number.POSITIVE_INFINITY,
): QueueRead {
  const head = Math.min(queueHead(sql, topic, queueId), unconfirmedFrom);
  if (limit <= 0 || fromOffset >= head) return { messages: [], nextOffset: fromOffset };
  const rows = sql.readLive.all(topic, queueId, fromOffset, head, now, limit) as Row[];
  const messages = rows.map(toStoredMessage);
  const last = messages[messages.length - 1];
  const nextOffset = messages.length === limit && last ? last.queueOffset + 1 : head;
  return { messages, nextOffset };
}

export function getMessages(sql: Statements, refs: readonly MessageRef[], now: number): (StoredMessage | undefined)[] {
  return refs.map((ref) => {
    const row = sql.messageAt.get(ref.topic, ref.queueId, ref.queueOffset) as Row | undefined;
    if (!row || (row['expire_at'] as number) <= now) return undefined;
    return toStoredMessage(row);
  });
}

/** A queue with nothing stored (never written, or fully swept) reports minOffset = nextOffset. */
export function queueOffsets(sql: Statements, topic: string, queueCount: number): QueueOffsets[] {
  const out: QueueOffsets[] = [];
  for (let queueId = 0; queueId < queueCount; queueId++) {
    const nextOffset = queueHead(sql, topic, queueId);
    const min = (sql.minOffset.get(topic, queueId) as Row | undefined)?.['min_offset'];
    out.push({ queueId, minOffset: typeof min === 'number' ? min : nextOffset, nextOffset });
  }
  return out;
}
