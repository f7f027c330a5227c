import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** Column order of `insertMessage`; `messageInsertValues` in row-mapping.ts binds in this order. */
const INSERT_COLUMNS = [
  'topic',
  'queue_id',
  'queue_offset',
  'msg_id',
  'store_ts',
  'born_ts',
  'expire_at',
  'message_id',
  'tag',
  'keys',
  'properties',
  'message_group',
  'deliver_at',
  'producer_group',
  'born_host',
  'body',
];
const MESSAGE_COLUMNS = `id, ${INSERT_COLUMNS.join(', ')}`;

const LEASE_KEY = 'consumer = ? AND topic = ? AND queue_id = ? AND queue_offset = ?';

/** A lane of group `g` is `g` itself or `g@<clientId>`: the range ['g@', 'gA') holds exactly the latter. */
const LANES_OF_GROUP = 'consumer = ? OR (consumer >= ? AND consumer < ?)';

/** Dead letters after a position; the store passes a position before every letter for the first page. */
const AFTER_DEAD_LETTER = '(dead_at, consumer, topic, queue_id, queue_offset) > (?, ?, ?, ?, ?)';
const DEAD_LETTER_ORDER = 'ORDER BY dead_at, consumer, topic, queue_id, queue_offset';

const SQL = {
  begin: 'BEGIN IMMEDIATE',
  commit: 'COMMIT',
  rollback: 'ROLLBACK',
  savepoint: 'SAVEPOINT op',
  release: 'RELEASE op',
  rollbackToSavepoint: 'ROLLBACK TO op',

  getTopic: 'SELECT doc FROM topics WHERE name = ?',
  listTopics: 'SELECT doc FROM topics ORDER BY name',
  saveTopic: 'INSERT OR REPLACE INTO topics (name, doc) VALUES (?, ?)',
  deleteTopicRecord: 'DELETE FROM topics WHERE name = ?',
  getGroup: 'SELECT doc FROM consumer_groups WHERE name = ?',
  listGroups: 'SELECT doc FROM consumer_groups ORDER BY name',
  saveGroup: 'INSERT OR REPLACE INTO consumer_groups (name, doc) VALUES (?, ?)',
  deleteGroupRecord: 'DELETE FROM consumer_groups WHERE name = ?',

  getHead: 'SELECT next_offset FROM queue_heads WHERE topic = ? AND queue_id = ?',
  setHead:
    'INSERT INTO queue_heads (topic, queue_id, next_offset) VALUES (?, ?, ?) ' +
    'ON CONFLICT (topic, queue_id) DO UPDATE SET next_offset = excluded.next_offset',
  findByMessageId: 'SELECT id, expire_at FROM messages WHERE topic = ? AND message_id = ?',
  releaseMessageId: 'UPDATE messages SET message_id = NULL WHERE id = ?',
  insertMessage: `INSERT INTO messages (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`,
  insertKey: 'INSERT OR IGNORE INTO message_keys (topic, key, message_rowid) VALUES (?, ?, ?)',
  messageByRowid: `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ?`,
  messageAt: `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE topic = ? AND queue_id = ? AND queue_offset = ?`,
  readLive:
    `SELECT ${MESSAGE_COLUMNS} FROM messages INDEXED BY messages_position ` +
    'WHERE topic = ? AND queue_id = ? AND queue_offset >= ? AND queue_offset < ? AND expire_at > ? ' +
    'ORDER BY queue_offset LIMIT ?',
  minOffset: 'SELECT MIN(queue_offset) AS min_offset FROM messages WHERE topic = ? AND queue_id = ?',
  expiredMessages: 'SELECT id, topic, keys FROM messages WHERE expire_at <= ? ORDER BY expire_at LIMIT ?',
  deleteKey: 'DELETE FROM message_keys WHERE topic = ? AND key = ? AND message_rowid = ?',
  deleteMessage: 'DELETE FROM messages WHERE id = ?',

  deleteTopicKeys: 'DELETE FROM message_keys WHERE topic = ?',
  deleteTopicMessages: 'DELETE FROM messages WHERE topic = ?',
  deleteTopicHeads: 'DELETE FROM queue_heads WHERE topic = ?',
  deleteTopicCursors: 'DELETE FROM cursors WHERE topic = ?',
  deleteTopicLeases: 'DELETE FROM leases WHERE topic = ?',
  deleteTopicDeadLetters: 'DELETE FROM dead_letters WHERE topic = ?',

  getCursors: 'SELECT queue_id, next_offset FROM cursors WHERE consumer = ? AND topic = ?',
  initCursor: 'INSERT OR IGNORE INTO cursors (consumer, topic, queue_id, next_offset) VALUES (?, ?, ?, ?)',
  moveCursor:
    'UPDATE cursors SET next_offset = ? WHERE consumer = ? AND topic = ? AND queue_id = ? AND next_offset = ?',

  putLease:
    'INSERT OR REPLACE INTO leases ' +
    '(consumer, topic, queue_id, queue_offset, batch_id, msg_id, attempt, visible_at, token, message_group) ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  dueLeases: 'SELECT * FROM leases WHERE consumer = ? AND visible_at <= ? ORDER BY visible_at LIMIT ?',
  nextLeaseVisibleAt: 'SELECT MIN(visible_at) AS next_visible_at FROM leases WHERE consumer = ?',
  getLease: `SELECT * FROM leases WHERE ${LEASE_KEY}`,
  queueLeases: 'SELECT * FROM leases WHERE consumer = ? AND topic = ? AND queue_id = ? ORDER BY queue_offset',
  // A NULL attempt keeps the stored one: nack and extensions never take it from a client's handle.
  updateLease: `UPDATE leases SET attempt = COALESCE(?, attempt), visible_at = ?, token = ? WHERE ${LEASE_KEY} AND token = ?`,
  deleteLease: `DELETE FROM leases WHERE ${LEASE_KEY} AND token = ?`,

  putDeadLetter:
    'INSERT OR REPLACE INTO dead_letters ' +
    '(consumer, topic, queue_id, queue_offset, group_name, msg_id, delivery_attempts, dead_at, reason) ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  // Paged by position: rows after (dead_at, consumer, topic, queue_id, queue_offset), in that order.
  listDeadLetters: `SELECT * FROM dead_letters WHERE group_name = ? AND ${AFTER_DEAD_LETTER} ${DEAD_LETTER_ORDER} LIMIT ?`,
  // The msgIds arrive as one JSON array, so the statement stays prepared whatever their number.
  listDeadLettersOf:
    'SELECT * FROM dead_letters WHERE group_name = ? AND msg_id IN (SELECT value FROM json_each(?)) ' +
    `AND ${AFTER_DEAD_LETTER} ${DEAD_LETTER_ORDER} LIMIT ?`,
  deleteDeadLetter: `DELETE FROM dead_letters WHERE ${LEASE_KEY}`,

  deleteGroupCursors: `DELETE FROM cursors WHERE ${LANES_OF_GROUP}`,
  deleteGroupLeases: `DELETE FROM leases WHERE ${LANES_OF_GROUP}`,
  deleteGroupDeadLetters: `DELETE FROM dead_letters WHERE group_name = ? OR ${LANES_OF_GROUP}`,

  // Binds (name, owner, expiresAt, now). The upsert's WHERE is the lock's condition: a row
  // held by another owner and unexpired at `now` is left alone, and `changes` is then 0.
  acquireLock:
    'INSERT INTO locks (name, owner, expires_at) VALUES (?, ?, ?) ' +
    'ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at ' +
    'WHERE locks.owner = excluded.owner OR locks.expires_at <= ?',
  releaseLock: 'DELETE FROM locks WHERE name = ? AND owner = ?',

  insertHeld:
    'INSERT INTO held_messages (topic, msg_id, kind, state, due_at, checks, queue_id, expire_at, message_id, doc, body) ' +
    "VALUES (?, ?, ?, 'HELD', ?, 0, ?, ?, ?, ?, ?)",
  getHeld: 'SELECT * FROM held_messages WHERE topic = ? AND msg_id = ?',
  heldByMessageId: 'SELECT * FROM held_messages WHERE topic = ? AND message_id = ?',
  releaseHeldMessageId: 'UPDATE held_messages SET message_id = NULL WHERE topic = ? AND msg_id = ?',
  listHeld:
    "SELECT * FROM held_messages WHERE topic = ? AND kind = ? AND state = 'HELD' AND (due_at, msg_id) > (?, ?) " +
    'AND expire_at > ? ORDER BY due_at, msg_id LIMIT ?',
  listDueHeld:
    "SELECT * FROM held_messages WHERE kind = ? AND state = 'HELD' AND due_at <= ? AND expire_at > ? ORDER BY due_at, topic, msg_id LIMIT ?",
  listDueHeldAfter:
    "SELECT * FROM held_messages WHERE kind = ? AND state = 'HELD' AND due_at <= ? AND expire_at > ? AND (due_at, topic, msg_id) > (?, ?, ?) ORDER BY due_at, topic, msg_id LIMIT ?",
  nextHeldDueAt:
    "SELECT MIN(due_at) AS next_due_at FROM held_messages WHERE kind = ? AND state = 'HELD' AND expire_at > ?",
  markHeldReleased:
    "UPDATE held_messages SET state = 'RELEASED', queue_offset = ?, settled_at = ? WHERE topic = ? AND msg_id = ? AND state = 'HELD'",
  markHeldCancelled:
    "UPDATE held_messages SET state = 'CANCELLED', reason = ?, settled_at = ? WHERE topic = ? AND msg_id = ? AND state = 'HELD'",
  rescheduleHeld:
    "UPDATE held_messages SET due_at = ?, checks = checks + 1 WHERE topic = ? AND msg_id = ? AND state = 'HELD' AND checks = ?",
  sweepHeld: 'DELETE FROM held_messages WHERE rowid IN (SELECT rowid FROM held_messages WHERE expire_at <= ? LIMIT ?)',
  deleteTopicHeld: 'DELETE FROM held_messages WHERE topic = ?',
  getProducerGroup: 'SELECT doc FROM producer_groups WHERE name = ?',
  listProducerGroups: 'SELECT doc FROM producer_groups ORDER BY name',
  saveProducerGroup: 'INSERT OR REPLACE INTO producer_groups (name, doc) VALUES (?, ?)',
  deleteProducerGroup: 'DELETE FROM producer_groups WHERE name = ?',
} as const;

export type Statements = { readonly [name in keyof typeof SQL]: StatementSync };

/** Prepares every statement once per connection; the store never builds SQL at run time. */
export function prepareStatements(db: DatabaseSync): Statements {
  const prepared: Partial<Record<keyof typeof SQL, StatementSync>> = {};
  for (const name of Object.keys(SQL) as (keyof typeof SQL)[]) prepared[name] = db.prepare(SQL[name]);
  return prepared as Statements;
}

/** Bind values for `LANES_OF_GROUP`: the group's own lane and the bounds of its `group@client` lanes. */
export function laneRange(group: string): [string, string, string] {
  // '@' is U+0040 and 'A' U+0041: every string starting with `${group}@` sorts inside the range.
  return [group, `${group}@`, `${group}A`];
}
