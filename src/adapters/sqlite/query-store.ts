import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { StoredMessage } from '../../core/model.ts';
import type { LeaseCounts } from '../../core/ports/consumption-store.ts';
import type { KeyPosition, TraceRecord, TraceSubject } from '../../core/ports/store.ts';
import { type Row, toStoredMessage } from './row-mapping.ts';

/* Query by msgId, key and time, trace records, offset reset and lease counts on SQLite. */

const MESSAGE_COLUMNS =
  'm.id, m.topic, m.queue_id, m.queue_offset, m.msg_id, m.store_ts, m.born_ts, m.expire_at, m.message_id, ' +
  'm.tag, m.keys, m.properties, m.message_group, m.deliver_at, m.producer_group, m.born_host, m.body';

const SQL = {
  messageById: `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.msg_id = ? AND m.expire_at > ? LIMIT 1`,
  // Key matches in (store time, msgId) order after a position: the page cursor of a key query.
  messagesByKey:
    `SELECT ${MESSAGE_COLUMNS} FROM message_keys k JOIN messages m ON m.id = k.message_rowid ` +
    'WHERE k.topic = ? AND k.key = ? AND m.expire_at > ? AND (m.store_ts, m.msg_id) > (?, ?) ' +
    'ORDER BY m.store_ts, m.msg_id LIMIT ?',
  // Store times rise with offsets within a queue, so the first by time is the lowest such offset.
  offsetAtTime:
    'SELECT queue_offset FROM messages INDEXED BY messages_store_ts ' +
    'WHERE topic = ? AND queue_id = ? AND store_ts >= ? ORDER BY store_ts, queue_offset LIMIT 1',
  queueHead: 'SELECT next_offset FROM queue_heads WHERE topic = ? AND queue_id = ?',
  insertTrace: 'INSERT INTO trace_events (subject, time, expire_at, event) VALUES (?, ?, ?, ?)',
  traceOf:
    'SELECT subject, expire_at, event FROM trace_events ' +
    'WHERE subject IN (SELECT value FROM json_each(?)) AND expire_at > ?',
  sweepTrace: 'DELETE FROM trace_events WHERE rowid IN (SELECT rowid FROM trace_events WHERE expire_at <= ? LIMIT ?)',
  setCursor: 'INSERT OR REPLACE INTO cursors (consumer, topic, queue_id, next_offset) VALUES (?, ?, ?, ?)',
  dropLeases: 'DELETE FROM leases WHERE consumer = ? AND topic = ? AND queue_id = ?',
  // Attempt 0: parked by an orderly receive, never handed out.
  countLeases:
    'SELECT queue_id, SUM(attempt > 0) AS in_flight, SUM(attempt = 0) AS parked FROM leases ' +
    'WHERE consumer = ? AND topic = ? GROUP BY queue_id',
  // A lane of group `g` is `g` or `g@<clientId>`: the range ['g@', 'gA') holds exactly the latter.
  lanesOf:
    'SELECT DISTINCT consumer FROM cursors WHERE topic = ? AND (consumer = ? OR (consumer >= ? AND consumer < ?)) ' +
    'ORDER BY consumer',
} as const;

type QueryStatements = { readonly [name in keyof typeof SQL]: StatementSync };

export function prepareQueryStatements(db: DatabaseSync): QueryStatements {
  const prepared: Partial<Record<keyof typeof SQL, StatementSync>> = {};
  for (const name of Object.keys(SQL) as (keyof typeof SQL)[]) prepared[name] = db.prepare(SQL[name]);
  return prepared as QueryStatements;
}

export function findMessage(sql: QueryStatements, msgId: string, now: number): StoredMessage | undefined {
  const row = sql.messageById.get(msgId, now) as Row | undefined;
  return row ? toStoredMessage(row) : undefined;
}

/**
 * Up to `limit` messages with the key, in (store time, msgId) order, leaving out those
 * `visible` refuses (appends still waiting for their sync). Store times need not follow
 * commit order, so visible messages may sort after a refused one: the page reads on past it,
 * or a short page would end the listing without them. A message left out this way is in the
 * listings that start after its send was confirmed.
 */
export function findByKey(
  sql: QueryStatements,
  topic: string,
  key: string,
  limit: number,
  now: number,
  after: KeyPosition = { storeTimestamp: -1, msgId: '' },
  visible: (message: StoredMessage) => boolean = () => true,
): StoredMessage[] {
  const found: StoredMessage[] = [];
  let position = after;
  while (found.length < limit) {
    const wanted = limit - found.length;
    const rows = sql.messagesByKey.all(topic, key, now, position.storeTimestamp, position.msgId, wanted) as Row[];
    const page = rows.map(toStoredMessage);
    for (const message of page) if (visible(message)) found.push(message);
    const last = page[page.length - 1];
    if (page.length < wanted || !last) break;
    position = { storeTimestamp: last.storeTimestamp, msgId: last.msgId };
  }
  return found;
}

export function offsetForTime(sql: QueryStatements, topic: string, queueId: number, timestamp: number): number {
  const row = sql.offsetAtTime.get(topic, queueId, timestamp) as Row | undefined;
  if (row) return row['queue_offset'] as number;
  return ((sql.queueHead.get(topic, queueId) as Row | undefined)?.['next_offset'] as number | undefined) ?? 0;
}

/** The `subject` column: `m <msgId>` or `p <topic> <queueId> <queueOffset>` (names hold no spaces). */
function subjectKey(subject: TraceSubject): string {
  return 'msgId' in subject ? `m ${subject.msgId}` : `p ${subject.topic} ${subject.queueId} ${subject.queueOffset}`;
}

function parseSubjectKey(key: string): TraceSubject {
  const [kind, first = '', queueId, queueOffset] = key.split(' ');
  return kind === 'm' ? { msgId: first } : { topic: first, queueId: Number(queueId), queueOffset: Number(queueOffset) };
}

export function appendTrace(sql: QueryStatements, records: readonly TraceRecord[]): void {
  for (const { subject, event, expireAt } of records) {
    sql.insertTrace.run(subjectKey(subject), event.time, expireAt, JSON.stringify(event));
  }
}

export function listTrace(sql: QueryStatements, subjects: readonly TraceSubject[], now: number): TraceRecord[] {
  const rows = sql.traceOf.all(JSON.stringify(subjects.map(subjectKey)), now) as Row[];
  return rows.map((row) => ({
    subject: parseSubjectKey(row['subject'] as string),
    expireAt: row['expire_at'] as number,
    event: JSON.parse(row['event'] as string) as TraceRecord['event'],
  }));
}

export function sweepTrace(sql: QueryStatements, now: number, limit: number): number {
  return limit > 0 ? Number(sql.sweepTrace.run(now, limit).changes) : 0;
}

export function resetCursors(
  sql: QueryStatements,
  consumer: string,
  topic: string,
  cursors: ReadonlyMap<number, number>,
): void {
  for (const [queueId, offset] of cursors) {
    sql.setCursor.run(consumer, topic, queueId, offset);
    sql.dropLeases.run(consumer, topic, queueId);
  }
}

export function countLeases(sql: QueryStatements, consumer: string, topic: string): Map<number, LeaseCounts> {
  const rows = sql.countLeases.all(consumer, topic) as Row[];
  return new Map(
    rows.map((row) => [
      row['queue_id'] as number,
      { inFlight: Number(row['in_flight']), parked: Number(row['parked']) },
    ]),
  );
}

export function listLanes(sql: QueryStatements, group: string, topic: string): string[] {
  const rows = sql.lanesOf.all(topic, group, `${group}@`, `${group}A`) as Row[];
  return rows.map((row) => row['consumer'] as string);
}
