import type { DeadLetter } from '../../core/model.ts';
import type { Claim, Lease, LeaseKey, LeaseUpdate, NewLease } from '../../core/ports/store.ts';
import { deadLetterInsertValues, leaseInsertValues } from './row-mapping.ts';
import { laneRange, type Statements } from './statements.ts';

/** Write steps on cursors, leases and dead letters; each runs inside the group-commit transaction. */

/** Leases and dead letters are both keyed by (consumer, topic, queue_id, queue_offset). */
function leaseKeyValues(key: Omit<LeaseKey, 'batchId'>): [string, string, number, number] {
  return [key.consumer, key.topic, key.queueId, key.queueOffset];
}

export function initCursors(
  sql: Statements,
  consumer: string,
  topic: string,
  cursors: ReadonlyMap<number, number>,
): void {
  for (const [queueId, offset] of cursors) sql.initCursor.run(consumer, topic, queueId, offset);
}

/**
 * The reference of a claim's leases: rows are keyed by position, so it only names the
 * received batch (`c<fromOffset>`, as receipt handles of earlier versions carry).
 */
function claimBatchId(fromOffset: number): string {
  return `c${fromOffset}`;
}

/** The reference of a redriven lease: when and which message it was put back. */
function redriveBatchId(lease: NewLease): string {
  return `r${lease.visibleAt}.${lease.queueOffset}`;
}

/**
 * Moves the cursor only if it still is at `fromOffset`: two receivers that read the same
 * range race here, and the loser changes nothing (its leases are never written).
 */
export function claim(sql: Statements, request: Claim): Lease[] | false {
  const moved = sql.moveCursor.run(
    request.toOffset,
    request.consumer,
    request.topic,
    request.queueId,
    request.fromOffset,
  );
  if (moved.changes === 0) return false;
  const batchId = claimBatchId(request.fromOffset);
  const stored = request.leases.map((lease): Lease => ({ ...lease, batchId }));
  for (const lease of stored) sql.putLease.run(...leaseInsertValues(lease));
  return stored;
}

/** Token-fenced: a receipt handle from an earlier delivery cannot touch the current one. */
export function updateLease(sql: Statements, key: LeaseKey, expectedToken: string, update: LeaseUpdate): boolean {
  const result = sql.updateLease.run(
    update.attempt ?? null,
    update.visibleAt,
    update.token,
    ...leaseKeyValues(key),
    expectedToken,
  );
  return result.changes > 0;
}

export function deleteLeases(sql: Statements, items: readonly { key: LeaseKey; token: string }[]): boolean[] {
  return items.map(({ key, token }) => sql.deleteLease.run(...leaseKeyValues(key), token).changes > 0);
}

/** The lease delete is the condition: only the holder of the current token can dead-letter. */
export function deadLetter(sql: Statements, key: LeaseKey, expectedToken: string, entry: DeadLetter): boolean {
  if (sql.deleteLease.run(...leaseKeyValues(key), expectedToken).changes === 0) return false;
  sql.putDeadLetter.run(...deadLetterInsertValues(entry));
  return true;
}

/** The dead-letter delete is the condition: a second redrive of the same letter finds nothing. */
export function redrive(sql: Statements, entry: DeadLetter, lease: NewLease): Lease | false {
  if (sql.deleteDeadLetter.run(...leaseKeyValues(entry)).changes === 0) return false;
  const stored: Lease = { ...lease, batchId: redriveBatchId(lease) };
  sql.putLease.run(...leaseInsertValues(stored));
  return stored;
}

/** Removes the group record and the state of its lane and of every `group@clientId` lane. */
export function deleteGroupData(sql: Statements, name: string): boolean {
  const lanes = laneRange(name);
  sql.deleteGroupCursors.run(...lanes);
  sql.deleteGroupLeases.run(...lanes);
  sql.deleteGroupDeadLetters.run(name, ...lanes);
  return sql.deleteGroupRecord.run(name).changes > 0;
}
