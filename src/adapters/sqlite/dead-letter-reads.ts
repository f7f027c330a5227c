import type { DeadLetter } from '../../core/model.ts';
import type { DeadLetterFilter } from '../../core/ports/store.ts';
import { BEFORE_EVERY_DEAD_LETTER, type Row, toDeadLetter } from './row-mapping.ts';
import type { Statements } from './statements.ts';

/** A group's dead letters, oldest first, from after `filter.after`, optionally only those of `filter.msgIds`. */
export function listDeadLetters(
  sql: Statements,
  group: string,
  limit: number,
  filter?: DeadLetterFilter,
): DeadLetter[] {
  if (limit <= 0) return [];
  const after = filter?.after ?? BEFORE_EVERY_DEAD_LETTER;
  const position = [after.deadAt, after.consumer, after.topic, after.queueId, after.queueOffset];
  const rows =
    filter?.msgIds === undefined
      ? sql.listDeadLetters.all(group, ...position, limit)
      : sql.listDeadLettersOf.all(group, JSON.stringify(filter.msgIds), ...position, limit);
  return (rows as Row[]).map(toDeadLetter);
}
