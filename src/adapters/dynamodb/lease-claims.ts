import { randomUUID } from 'node:crypto';
import type { Lease } from '../../core/ports/store.ts';
import { N, num, S, str } from './attributes.ts';
import { moveCursor, putClaimItem, putMergedClaimItem, withdrawClaimItem } from './claim-requests.ts';
import { cursorKey } from './consumption-requests.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { itemKeyOf, itemVersion, newLeaseItem } from './lease-items.ts';
import type { TableNames } from './table-definitions.ts';

/** Where a cursor stood when last seen: its next offset and its version (moves so far). */
export interface CursorState {
  at: number;
  version: number;
  /** The claim that made the last move (`w`), if one did. */
  claim?: string;
}

/** A cursor move: from (`from`, `version`) to `to`, made by `claim` (its lease item's `k`). */
export interface Move {
  from: number;
  version: number;
  to: number;
  claim: string;
}

/**
 * The claim of one batch without a transaction (half the write units of one):
 *
 * 1. put the lease item on its fixed key (`queueId#c<from>`), recording the move it
 *    belongs to (`f` from, `u` to, `cv` the cursor version it starts from, `k` a claim id):
 *    the lock;
 * 2. move the cursor from (`from`, `cv`) to (`to`, `cv + 1`, `w` = the claim id) with a
 *    compare-and-set.
 *
 * A receiver whose put finds an item of the same move (same `f` and `cv`) finishes that
 * move itself and reports a conflict: a crash between the two writes never stalls a queue,
 * and the leases of the crashed claim come back when their invisible time ends. An item
 * left from an earlier pass (the cursor was moved back since, so its `cv` differs) gets the
 * new leases merged in. The full argument is in this folder's README ("Claims").
 */
export class LeaseClaims {
  /** The last cursor state this process saw per cursor, so a claim knows the version it moves from. */
  private readonly cursors = new Map<string, CursorState>();
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;

  constructor(gateway: DynamoGateway, tables: TableNames) {
    this.gateway = gateway;
    this.tables = tables;
  }

  /** Records a cursor state read from the table (or left by a move). */
  seen(lane: string, topic: string, queueId: number, state: CursorState | undefined): void {
    const id = cursorId(lane, topic, queueId);
    if (state === undefined) {
      this.cursors.delete(id);
      return;
    }
    if (this.cursors.size > 100_000) this.cursors.clear();
    this.cursors.set(id, state);
  }

  /** Whether a cursor read shows an older state than this process made or saw (a lagging eventually consistent read). */
  isBehind(lane: string, topic: string, queueId: number, read: CursorState): boolean {
    const known = this.cursors.get(cursorId(lane, topic, queueId));
    return known !== undefined && known.version > read.version;
  }

  /** Claims `leases` (all of one batch) moving the cursor from `from` to `to`; false when another receiver got there first. */
  async claim(
    lane: string,
    topic: string,
    queueId: number,
    from: number,
    to: number,
    leases: Lease[],
  ): Promise<boolean> {
    const cursor = await this.cursorAt(lane, topic, queueId, from);
    if (cursor?.at !== from) return false;
    const move: Move = { from, version: cursor.version, to, claim: randomUUID() };
    const item = claimItem(leases, move);
    const put = await this.gateway.put('receive', 'claim.lease', putClaimItem(this.tables, item));
    if (put.ok) return this.follow(lane, topic, queueId, move, item);
    const found = put.old;
    if (!found) return false;
    if (num(found, 'f') === from && num(found, 'cv') === cursor.version) {
      // Another receiver's claim of this very move, unfinished (racing us, or crashed): finish it.
      const theirs = { from, version: cursor.version, to: num(found, 'u') ?? from, claim: str(found, 'k') ?? '' };
      await this.move(lane, topic, queueId, theirs);
      return false;
    }
    const foundVersion = num(found, 'cv');
    // The item is newer than our view of the cursor: we read a stale cursor, so we are the late one.
    if (foundVersion !== undefined && foundVersion >= cursor.version) return false;
    // Left by an earlier pass over these offsets (the cursor was moved back since): merge into it.
    const version = (itemVersion(found) ?? 0) + 1;
    const merged = mergeClaimItem(found, item, version);
    const replaced = await this.gateway.put(
      'receive',
      'claim.lease',
      putMergedClaimItem(this.tables, merged, version - 1),
    );
    if (!replaced.ok) return false;
    // A merged item also holds the earlier pass's leases: it stays even if the move loses
    // (our leases in it then come back after their invisible time).
    return this.move(lane, topic, queueId, move);
  }

  /** Step 2: moves the cursor; a move that lost withdraws the item this claim wrote. */
  private async follow(lane: string, topic: string, queueId: number, move: Move, item: Item): Promise<boolean> {
    const moved = await this.move(lane, topic, queueId, move);
    if (moved) return true;
    // Nothing was handed out from this item: take it back (unless someone changed it since).
    await this.gateway.delete('receive', 'claim.withdraw', withdrawClaimItem(this.tables, itemKeyOf(item), 1));
    return false;
  }

  /** The compare-and-set of a move; true when the cursor now stands where the move leaves it. */
  private async move(lane: string, topic: string, queueId: number, move: Move): Promise<boolean> {
    const outcome = await this.gateway.update(
      'receive',
      'claim.cursor',
      moveCursor(this.tables, lane, topic, queueId, move),
    );
    const after = { at: move.to, version: move.version + 1, claim: move.claim };
    if (outcome.ok) {
      this.seen(lane, topic, queueId, after);
      return true;
    }
    const current = outcome.old ? cursorState(outcome.old) : undefined;
    this.seen(lane, topic, queueId, current);
    // Exactly this move, finished by another receiver that found our item.
    return current?.at === after.at && current.version === after.version && current.claim === move.claim;
  }

  /**
   * The cursor as this process last saw it when that agrees with the caller's `from`;
   * otherwise read strongly (this process's view may be the stale one, e.g. of a topic
   * deleted and created again).
   */
  private async cursorAt(lane: string, topic: string, queueId: number, from: number): Promise<CursorState | undefined> {
    const known = this.cursors.get(cursorId(lane, topic, queueId));
    if (known?.at === from) return known;
    const item = await this.gateway.get('receive', 'claim.cursor', {
      TableName: this.tables.state,
      Key: cursorKey(lane, topic, queueId),
      ConsistentRead: true,
    });
    const state = item ? cursorState(item) : undefined;
    this.seen(lane, topic, queueId, state);
    return state;
  }
}

/** A cursor item's position and version (a cursor never moved by a claim has version 0). */
export function cursorState(item: Item): CursorState {
  return { at: num(item, 'at') ?? 0, version: num(item, 'cv') ?? 0, claim: str(item, 'w') };
}

function cursorId(lane: string, topic: string, queueId: number): string {
  return `${lane}\u0000${topic}\u0000${queueId}`;
}

/** A new lease item for a claim, recording the move it belongs to. */
export function claimItem(leases: readonly Lease[], move: Move): Item {
  return { ...newLeaseItem(leases), f: N(move.from), u: N(move.to), cv: N(move.version), k: S(move.claim) };
}

/** A stale item with a new claim's leases added (same offsets replaced) and the new claim's move. */
function mergeClaimItem(existing: Item, fresh: Item, version: number): Item {
  const entries = { ...(existing['l']?.M ?? {}), ...(fresh['l']?.M ?? {}) };
  const earliest = Math.min(num(existing, 'mv') ?? Number.POSITIVE_INFINITY, num(fresh, 'mv') ?? 0);
  const ttl = Math.max(num(existing, 'ttl') ?? 0, num(fresh, 'ttl') ?? 0);
  return { ...fresh, l: { M: entries }, mv: N(earliest), ver: N(version), ttl: N(ttl) };
}
