import type { HoldKind } from '../../core/ports/store.ts';
import { N, num, S, str } from './attributes.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { DUE_SHARDS, dueShardKey } from './held-requests.ts';
import { INDEXES, type TableNames } from './table-definitions.ts';

/** A due-index entry: all a wake-up needs, read from the (keys-only) index without the record. */
export interface DueEntry {
  topic: string;
  msgId: string;
  dueAt: number;
}

/** Where a paged listing of the due index goes on: a shard, and the last key read in it. */
export interface DueCursor {
  shard: number;
  startKey?: Item;
}

export interface DuePage {
  entries: DueEntry[];
  /** Absent once every shard is read to the end of the window. */
  cursor?: DueCursor;
}

/** The due-time window of a hand-off: entries with `after < dueAt <= dueBy`. */
export interface DueWindow {
  after: number;
  dueBy: number;
}

/**
 * One page of the due index within a window, shard by shard, for handing held messages to
 * SQS. Unlike `listDueHeld` it reads no records (no bodies, no strongly consistent reads)
 * and judges nothing expired: a look-ahead must not take a live record out of the index,
 * and a wake-up for a record that has meanwhile settled or expired releases nothing.
 */
export async function listDueHeldPage(
  gateway: DynamoGateway,
  tables: TableNames,
  kind: HoldKind,
  window: DueWindow,
  limit: number,
  cursor: DueCursor = { shard: 0 },
): Promise<DuePage> {
  const page = await gateway.query('other', 'held.handOff', {
    TableName: tables.held,
    IndexName: INDEXES.heldDue,
    KeyConditionExpression: 'hk = :hk AND hd BETWEEN :from AND :to',
    ExpressionAttributeValues: {
      ':hk': S(dueShardKey(kind, cursor.shard)),
      ':from': N(window.after + 1),
      ':to': N(window.dueBy),
    },
    Limit: limit,
    ExclusiveStartKey: cursor.startKey,
  });
  const entries = page.items.map(dueEntry).filter((entry) => entry !== undefined);
  if (page.lastKey) return { entries, cursor: { shard: cursor.shard, startKey: page.lastKey } };
  const next = cursor.shard + 1;
  return next < DUE_SHARDS ? { entries, cursor: { shard: next } } : { entries };
}

/** Reads topic and msgId back from a record key `M#<topic>#<msgId>` (msgIds are hex: no `#`). */
function dueEntry(item: Item): DueEntry | undefined {
  const key = str(item, 'p') ?? '';
  const last = key.lastIndexOf('#');
  const dueAt = num(item, 'hd');
  if (!key.startsWith('M#') || last < 2 || dueAt === undefined) return undefined;
  return { topic: key.slice(2, last), msgId: key.slice(last + 1), dueAt };
}
