import { parseLane } from '../../core/lane.ts';
import type { Claim, Lease, LeaseKey, LeaseUpdate } from '../../core/ports/store.ts';
import { num, S, str } from './attributes.ts';
import {
  advanceCursor,
  deleteEmptyLeaseItem,
  deleteWholeLeaseItem,
  putCursorIfAbsent,
  queryCursors,
  queryDueLeaseItems,
  queryEarliestLeaseItem,
  queryQueueLeaseItems,
  removeLeaseEntries,
  repairEarliest,
  updateLeaseEntry,
} from './consumption-requests.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { batchSize, claimBatchId, groupLanesPartition, topicLanesPartition } from './keys.ts';
import { type CursorState, cursorState, LeaseClaims } from './lease-claims.ts';
import { earliestVisibleAt, itemKeyOf, itemVersion, leaseEntries, leaseItemKey, leasesOf } from './lease-items.ts';
import type { TableNames } from './table-definitions.ts';

/** Cursors and leases: what consumers hold, claim, extend and ack. */
export class Consumption {
  private readonly registeredLanes = new Set<string>();
  /** Entries of lease items this process created or changed, so acking a whole batch can delete it in one go. */
  private readonly entryCounts = new Map<string, number>();
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly claims: LeaseClaims;

  constructor(gateway: DynamoGateway, tables: TableNames) {
    this.gateway = gateway;
    this.tables = tables;
    this.claims = new LeaseClaims(gateway, tables);
  }

  /**
   * Eventually consistent (half the read units). A read older than a move this process made
   * or saw is read again strongly: a stale cursor would only make claims fail, but it would
   * make them fail every time until the table caught up.
   */
  async getCursors(lane: string, topic: string): Promise<Map<number, number>> {
    const read = await this.readCursors(lane, topic, false);
    const stale = [...read].some(([queueId, state]) => this.claims.isBehind(lane, topic, queueId, state));
    const states = stale ? await this.readCursors(lane, topic, true) : read;
    const out = new Map<number, number>();
    for (const [queueId, state] of states) {
      this.claims.seen(lane, topic, queueId, state);
      out.set(queueId, state.at);
    }
    return out;
  }

  private async readCursors(lane: string, topic: string, consistent: boolean): Promise<Map<number, CursorState>> {
    const out = new Map<number, CursorState>();
    let startKey: Item | undefined;
    do {
      const page = await this.gateway.query('receive', 'getCursors', {
        ...queryCursors(this.tables, lane, topic),
        ConsistentRead: consistent,
        ExclusiveStartKey: startKey,
      });
      for (const item of page.items) out.set(Number(str(item, 's')), cursorState(item));
      startKey = page.lastKey;
    } while (startKey);
    return out;
  }

  async initCursors(lane: string, topic: string, cursors: ReadonlyMap<number, number>): Promise<void> {
    await this.registerLane(lane, topic);
    await Promise.all(
      [...cursors].map(([queueId, offset]) =>
        this.gateway.put('receive', 'initCursors', putCursorIfAbsent(this.tables, lane, topic, queueId, offset)),
      ),
    );
  }

  /** Records which lanes read which topics, so deleting a group or topic finds all their state. */
  async registerLane(lane: string, topic: string): Promise<void> {
    const marker = `${lane}\u0000${topic}`;
    if (this.registeredLanes.has(marker)) return;
    const { group } = parseLane(lane);
    await this.gateway.batchWrite('other', 'registerLane', this.tables.state, [
      { PutRequest: { Item: { p: S(groupLanesPartition(group)), s: S(`${lane}#${topic}`), l: S(lane), t: S(topic) } } },
      { PutRequest: { Item: { p: S(topicLanesPartition(topic)), s: S(lane), l: S(lane) } } },
    ]);
    if (this.registeredLanes.size > 10_000) this.registeredLanes.clear();
    this.registeredLanes.add(marker);
  }

  async claim(claim: Claim): Promise<Lease[] | false> {
    const { consumer, topic, queueId, fromOffset, toOffset } = claim;
    if (claim.leases.length === 0) {
      const outcome = await this.gateway.update(
        'receive',
        'claim',
        advanceCursor(this.tables, consumer, topic, queueId, fromOffset, toOffset),
      );
      this.claims.seen(
        consumer,
        topic,
        queueId,
        outcome.ok && outcome.attributes ? cursorState(outcome.attributes) : undefined,
      );
      return outcome.ok ? [] : false;
    }
    // One lease item per received batch: every lease of the claim shares its reference,
    // which also says how many leases the batch has (so any process can ack it whole).
    const batchId = claimBatchId(fromOffset, claim.leases.length);
    const leases = claim.leases.map((lease): Lease => ({ ...lease, batchId }));
    const won = await this.claims.claim(consumer, topic, queueId, fromOffset, toOffset, leases);
    if (!won) return false;
    this.hint(itemId(leaseItemKey({ consumer, topic, queueId, batchId })), leases.length);
    return leases;
  }

  async dueLeases(lane: string, now: number, limit: number): Promise<Lease[]> {
    const due = await this.gateway.query('receive', 'dueLeases', queryDueLeaseItems(this.tables, lane, now, limit));
    if (due.items.length === 0) return [];
    const items = await this.gateway.batchGet(
      'receive',
      'dueLeases',
      this.tables.state,
      due.items.map(itemKeyOf),
      false,
    );
    const leases: Lease[] = [];
    await Promise.all(
      items.map(async (item) => {
        await this.tidy(item);
        for (const lease of leasesOf(item)) if (lease.visibleAt <= now) leases.push(lease);
      }),
    );
    leases.sort((a, b) => a.visibleAt - b.visibleAt || a.queueOffset - b.queueOffset);
    return leases.slice(0, limit);
  }

  async nextLeaseVisibleAt(lane: string): Promise<number | undefined> {
    const first = await this.gateway.query('receive', 'nextLeaseVisibleAt', queryEarliestLeaseItem(this.tables, lane));
    return num(first.items[0], 'mv');
  }

  /** Strongly consistent: settlement decides on the attempt stored here, so it must be the latest. */
  async getLease(key: LeaseKey): Promise<Lease | undefined> {
    const item = await this.gateway.get('receive', 'getLease', {
      TableName: this.tables.state,
      Key: leaseItemKey(key),
      ConsistentRead: true,
    });
    if (!item) return undefined;
    return leasesOf(item).find((lease) => lease.queueOffset === key.queueOffset);
  }

  async queueLeases(lane: string, topic: string, queueId: number): Promise<Lease[]> {
    const leases: Lease[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.gateway.query('receive', 'queueLeases', {
        ...queryQueueLeaseItems(this.tables, lane, topic, queueId),
        ExclusiveStartKey: startKey,
      });
      for (const item of page.items) leases.push(...leasesOf(item));
      startKey = page.lastKey;
    } while (startKey);
    return leases.sort((a, b) => a.queueOffset - b.queueOffset);
  }

  async updateLease(key: LeaseKey, expectedToken: string, update: LeaseUpdate): Promise<boolean> {
    const itemKey = leaseItemKey(key);
    // Two conditional paths, one of which holds unless `mv` moves between them (concurrent
    // updates of the same batch): then the other is tried again, a few times at most.
    for (let round = 0; round < 4; round++) {
      const raising = await this.gateway.update(
        'receive',
        'updateLease',
        updateLeaseEntry(this.tables, itemKey, key.queueOffset, expectedToken, update, true),
      );
      if (raising.ok) {
        if (raising.attributes) await this.tidy(raising.attributes);
        return true;
      }
      if (leaseEntries(raising.old ?? {}).get(key.queueOffset)?.token !== expectedToken) return false;
      // The token matched, so only `mv <= visibleAt` failed: this update moves the earliest time down.
      const lowering = await this.gateway.update(
        'receive',
        'updateLease',
        updateLeaseEntry(this.tables, itemKey, key.queueOffset, expectedToken, update, false),
      );
      if (lowering.ok) return true;
      if (leaseEntries(lowering.old ?? {}).get(key.queueOffset)?.token !== expectedToken) return false;
    }
    return false;
  }

  async deleteLeases(items: readonly { key: LeaseKey; token: string }[]): Promise<boolean[]> {
    const results: boolean[] = new Array(items.length).fill(false);
    const groups = new Map<
      string,
      { id: string; key: Item; batchId: string; members: LeaseMember[]; alternates: LeaseMember[] }
    >();
    items.forEach(({ key, token }, index) => {
      const itemKey = leaseItemKey(key);
      const id = itemId(itemKey);
      const group = groups.get(id) ?? { id, key: itemKey, batchId: key.batchId, members: [], alternates: [] };
      // One update names an entry once. A message named again with another token (a stale
      // handle beside its live one) is tried if the first token turns out not to be current;
      // the same handle twice: only the first can succeed.
      const first = group.members.find((member) => member.offset === key.queueOffset);
      if (!first) group.members.push({ index, offset: key.queueOffset, token });
      else if (
        first.token !== token &&
        !group.alternates.some((member) => member.offset === key.queueOffset && member.token === token)
      ) {
        group.alternates.push({ index, offset: key.queueOffset, token });
      }
      groups.set(id, group);
    });
    await Promise.all(
      [...groups.values()].map(async ({ id, key, batchId, members, alternates: others }) => {
        let alternates = others;
        // The whole batch (by the size its id carries, or by what this process last saw of
        // the item): one conditional delete, which holds only if the item has exactly these.
        const whole = this.entryCounts.get(id) ?? batchSize(batchId);
        if (whole === members.length) {
          const deleted = await this.gateway.delete(
            'ack',
            'deleteLeases',
            deleteWholeLeaseItem(this.tables, key, members),
          );
          this.hint(id, undefined);
          if (deleted.ok) {
            for (const member of members) results[member.index] = true;
            return;
          }
        }
        let pending = members;
        for (let attempt = 0; attempt < 3 && pending.length > 0; attempt++) {
          const outcome = await this.gateway.update(
            'ack',
            'deleteLeases',
            removeLeaseEntries(this.tables, key, pending),
          );
          if (outcome.ok) {
            for (const member of pending) results[member.index] = true;
            if (outcome.attributes) {
              const left = leaseEntries(outcome.attributes).size;
              this.hint(id, left > 0 ? left : undefined);
              await this.tidy(outcome.attributes, 'ack');
            }
            return;
          }
          if (!outcome.old) return;
          const current = leaseEntries(outcome.old);
          pending = [...pending, ...alternates].filter((member, i, all) => {
            const live = current.get(member.offset)?.token === member.token;
            // At most one member per offset: the first whose token is the stored one.
            return (
              live && all.findIndex((other) => other.offset === member.offset && other.token === member.token) === i
            );
          });
          // An offset already settled, or tried with its live token, needs no alternate any more.
          alternates = [];
        }
      }),
    );
    return results;
  }

  private hint(id: string, entries: number | undefined): void {
    if (entries === undefined) {
      this.entryCounts.delete(id);
      return;
    }
    if (this.entryCounts.size > 100_000) this.entryCounts.clear();
    this.entryCounts.set(id, entries);
  }

  /** Deletes an emptied lease item, or raises its lagging earliest time; both lose quietly to any concurrent change. */
  private async tidy(item: Item, kind: 'receive' | 'ack' = 'receive'): Promise<void> {
    const version = itemVersion(item);
    if (version === undefined) return;
    const earliest = earliestVisibleAt(item);
    if (earliest === undefined) {
      await this.gateway.delete(kind, 'leaseItem.delete', deleteEmptyLeaseItem(this.tables, itemKeyOf(item), version));
    } else if (earliest > (num(item, 'mv') ?? 0)) {
      await this.gateway.update(
        kind,
        'leaseItem.repair',
        repairEarliest(this.tables, itemKeyOf(item), version, earliest),
      );
    }
  }
}

/** One handle of an ack call: its place in the call, the entry it names and the token it holds. */
interface LeaseMember {
  index: number;
  offset: number;
  token: string;
}

function itemId(key: Item): string {
  return `${key['p']?.S}\u0000${key['s']?.S}`;
}
