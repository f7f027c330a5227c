import type { DuePosition, HeldMessage, HeldPosition, HoldKind } from '../../core/ports/store.ts';
import { toHeld } from './held-writes.ts';
import type { Row } from './row-mapping.ts';
import type { Statements } from './statements.ts';

/** Reads of held (delayed and half) messages; expired records are never returned. */

export function getHeld(sql: Statements, topic: string, msgId: string, now: number): HeldMessage | undefined {
  const row = sql.getHeld.get(topic, msgId) as Row | undefined;
  return row && (row['expire_at'] as number) > now ? toHeld(row) : undefined;
}

export function listHeld(
  sql: Statements,
  topic: string,
  kind: HoldKind,
  now: number,
  limit: number,
  after?: HeldPosition,
): HeldMessage[] {
  if (limit <= 0) return [];
  const from = after ?? { dueAt: -1, msgId: '' };
  return (sql.listHeld.all(topic, kind, from.dueAt, from.msgId, now, limit) as Row[]).map(toHeld);
}

export function listDueHeld(
  sql: Statements,
  kind: HoldKind,
  now: number,
  limit: number,
  after?: DuePosition,
): HeldMessage[] {
  if (limit <= 0) return [];
  const rows = after
    ? sql.listDueHeldAfter.all(kind, now, now, after.dueAt, after.topic, after.msgId, limit)
    : sql.listDueHeld.all(kind, now, now, limit);
  return (rows as Row[]).map(toHeld);
}

export function nextHeldDueAt(sql: Statements, kind: HoldKind, now: number): number | undefined {
  const next = (sql.nextHeldDueAt.get(kind, now) as Row | undefined)?.['next_due_at'];
  return typeof next === 'number' ? next : undefined;
}
