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
 * at or before `after` itself, reading on while a page held only those.
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
  let startKey: Item | undefined;
  do {
    const result = await gateway.query('other', 'held.listDue', {
      ...queryDue(tables, kind, shard, now, limit, after?.dueAt),
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    });
    found.push(...result.items.filter(past));
    startKey = result.lastKey;
  } while (found.length < limit && startKey);
  return found.slice(0, limit);
}
