import type { DuePosition, HoldKind } from '../../core/ports/store.ts';
import { num, str } from './attributes.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { compare, expired, keyOf, pending } from './held-records.ts';
import { queryDue, retireExpiredRecord } from './held-requests.ts';
import type { TableNames } from './table-definitions.ts';

/**
 * Up to `limit` due-index entries of one shard past `after`, the position of the last
 * entry of the previous page (by due time, then `p` = `M#<topic>#<msgId>`). The index is
 * ordered by due time only, so the query starts at `after.dueAt` and steps over the entries
 * at or before `after` itself, reading on while a page held only those (and through the
 * whole due time the page ends in: see below).
 */
export async function dueKeysAfter(
  gateway: DynamoGateway,
  tables: TableNames,
  page: { kind: HoldKind; shard: number; now: number; limit: number; after: DuePosition | undefined },
): Promise<Item[]> {
  const { kind, shard, now, limit, after } = page;
  const afterKey = after ? `M#${after.topic}#${after.msgId}` : '';
  const past = (item: Item) =>
    !after ||
    (num(item, 'hd') ?? 0) > after.dueAt ||
    ((num(item, 'hd') ?? 0) === after.dueAt && compare(str(item, 'p') ?? '', afterKey) > 0);
  const found: Item[] = [];
  const byPosition = (x: Item, y: Item) =>
    (num(x, 'hd') ?? 0) - (num(y, 'hd') ?? 0) || compare(str(x, 'p') ?? '', str(y, 'p') ?? '');
  let startKey: Item | undefined;
  let lastRead: number | undefined;
  do {
    const result = await gateway.query('other', 'held.listDue', {
      ...queryDue(tables, kind, shard, now, limit, after?.dueAt),
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    });
    found.push(...result.items.filter(past));
    const last = result.items[result.items.length - 1];
    if (last) lastRead = num(last, 'hd');
    startKey = result.lastKey;
    // The index orders entries of one due time in no particular `p` order: a page that ends
    // inside a due time must read that due time to its end, or the cut below could keep a
    // later position and step over an earlier one for good.
  } while (startKey && (found.length < limit || lastRead === boundary(found, limit, byPosition)));
  return found.sort(byPosition).slice(0, limit);
}

/** The due time of the last entry a page of `limit` would keep. */
function boundary(found: Item[], limit: number, order: (x: Item, y: Item) => number): number | undefined {
  const kept = [...found].sort(order).slice(0, limit);
  const last = kept[kept.length - 1];
  return last ? num(last, 'hd') : undefined;
}

/** Index entries read at most while stepping over stale ones. */
const MAX_INDEX_STEPS = 50;

/**
 * The earliest due time in one shard of the due index whose record is still pending and
 * unexpired. Entries of expired records are taken out of the index on the way; entries the
 * index has not yet caught up on (settled records) are stepped over.
 */
export async function firstPendingDue(
  gateway: DynamoGateway,
  tables: TableNames,
  at: { kind: HoldKind; shard: number; now: number },
): Promise<number | undefined> {
  const { kind, shard, now } = at;
  let startKey: Item | undefined;
  for (let step = 0; step < MAX_INDEX_STEPS; step++) {
    const page = await gateway.query('other', 'held.nextDue', {
      ...queryDue(tables, kind, shard, Number.MAX_SAFE_INTEGER, 1),
      ExclusiveStartKey: startKey,
    });
    const [entry] = page.items;
    if (!entry) return undefined;
    const record = await gateway.get('other', 'held.nextDue', {
      TableName: tables.held,
      Key: keyOf(entry),
      ConsistentRead: true,
      ProjectionExpression: 'st, e, d',
    });
    if (record && expired(record, now)) {
      await gateway.update('other', 'held.dropExpired', retireExpiredRecord(tables, keyOf(entry), now));
    } else if (record && pending(record)) {
      return num(record, 'd');
    }
    startKey = page.lastKey;
    if (!startKey) return undefined;
  }
  // A long run of stale entries: report the last one seen, so a timer looks again soon.
  return startKey ? num(startKey, 'hd') : undefined;
}
