import type { DuePosition, HoldKind } from '../../core/ports/store.ts';
import { num, str } from './attributes.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { compare } from './held-records.ts';
import { queryDue } from './held-requests.ts';
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
