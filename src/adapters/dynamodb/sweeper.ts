import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import type { StoredMessage } from '../../core/model.ts';
import { N, S } from './attributes.ts';
import type { ClaimCheck } from './claim-check.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { keyIndexPartition, keyIndexSortKey, parseQueueKey, QUEUES_INDEX_KEY, queueKey } from './keys.ts';
import { dedupKey, putSegmentRemainder, queryForward, segmentItem } from './message-requests.ts';
import { type DynamoDbStoreHooks, RECORD_LIFETIME_MS } from './options.ts';
import { decodeItemSlots, parseQueueItem, type QueueItem } from './queue-items.ts';
import { encodeSegment, type Slot } from './segment-codec.ts';
import { INDEXES, type TableNames } from './table-definitions.ts';
import { putFloor } from './tombstone-requests.ts';

const PAGE = 25;

/**
 * The sweep deletes or crosses a tombstone only once it is this old (its sealing time is
 * its expiry less RECORD_LIFETIME_MS; floors have expiry 0). A writer whose offset a reader
 * sealed may still be running; if the sweep deleted that tombstone, its put would succeed
 * under the floor. A writer stores nothing, and fails its send, once WRITER_LIFETIME_MS (1 min)
 * has passed since it began (appender.ts, checked after every put too), so an hour leaves
 * room for the sealer's and the sweeper's clocks to disagree by most of an hour.
 */
export const SETTLED_TOMBSTONE_AGE_MS = 3_600_000;

/** What one sweep of a queue's oldest end removes. */
interface SweepPlan {
  /** The floor tombstone goes at `start` and covers [start, end). */
  start: number;
  /** Span of the floor found at `start` (undefined when a segment is there): the compare-and-set value. */
  startSpan?: number;
  end: number;
  /** Keys (offsets) of items now covered by the floor, other than `start` itself. */
  covered: number[];
  /** The live rest of a partly expired segment, rewritten at `end`. */
  remainder?: Item;
  messages: StoredMessage[];
  claimKeys: string[];
}

/**
 * The retention sweep. From the oldest end of each queue (found through the queues index,
 * so topics without a catalog record are swept too) it removes expired messages with their
 * key-index and idempotency records and S3 bodies, and leaves one floor tombstone over
 * everything removed, so readers far behind skip it. DynamoDB TTL deletes lazily as well;
 * this reclaims sooner. It never crosses a gap (a reservation being written) nor a tombstone
 * younger than SETTLED_TOMBSTONE_AGE_MS (its writer may still be running). Order: index
 * records and bodies, the remainder of a cut segment, the floor, then deletes. Every step
 * is idempotent and a crash between steps leaves items that overlap consistently (a reader
 * follows whichever covers an offset first).
 */
export class Sweeper {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly claimCheck: ClaimCheck | undefined;
  private readonly hooks: DynamoDbStoreHooks;

  constructor(
    gateway: DynamoGateway,
    tables: TableNames,
    claimCheck: ClaimCheck | undefined,
    hooks: DynamoDbStoreHooks,
  ) {
    this.gateway = gateway;
    this.tables = tables;
    this.claimCheck = claimCheck;
    this.hooks = hooks;
  }

  /** Returns the number of messages removed (at most `limit`). */
  async sweep(now: number, limit: number): Promise<number> {
    let removed = 0;
    let startKey: Item | undefined;
    do {
      const page = await this.gateway.query('other', 'sweep.queues', {
        TableName: this.tables.messages,
        IndexName: INDEXES.queues,
        KeyConditionExpression: 'hk = :hk',
        ExpressionAttributeValues: { ':hk': S(QUEUES_INDEX_KEY) },
        ExclusiveStartKey: startKey,
      });
      for (const item of page.items) {
        if (removed >= limit) return removed;
        const { topic, queueId } = parseQueueKey(item['q']?.S ?? '');
        removed += await this.sweepQueue(topic, queueId, now, limit - removed);
      }
      startKey = page.lastKey;
    } while (startKey && removed < limit);
    return removed;
  }

  private async sweepQueue(topic: string, queueId: number, now: number, limit: number): Promise<number> {
    const plan = await this.plan(topic, queueId, now, limit);
    if (!plan) return 0;
    const q = queueKey(topic, queueId);
    // Index records and bodies first: a crash then leaves messages the next sweep finds again.
    await this.deleteIndexRecords(topic, plan.messages);
    if (plan.claimKeys.length > 0) await this.claimCheck?.deleteMany(plan.claimKeys);
    // The live rest of a cut segment before the floor: the floor may replace that very segment
    // (it starts at the floor's offset), and until the floor is written readers take the old one.
    if (plan.remainder) {
      await this.gateway.put('other', 'sweep', putSegmentRemainder(this.tables, plan.remainder));
      await this.hooks.betweenSweepWrites?.(topic, queueId);
    }
    // The floor next, as a compare-and-set: of two concurrent sweeps of a queue only one goes on.
    const floor = await this.gateway.put(
      'other',
      'sweep',
      putFloor(this.tables, q, plan.start, plan.end - plan.start, plan.startSpan),
    );
    if (!floor.ok) return 0;
    const deletes: WriteRequest[] = plan.covered.map((offset) => ({
      DeleteRequest: { Key: { q: S(q), o: N(offset) } },
    }));
    if (deletes.length > 0) await this.gateway.batchWrite('other', 'sweep', this.tables.messages, deletes);
    return plan.messages.length;
  }

  /**
   * Reads the queue from its oldest item up to the first live message (or the limit). Items
   * a crashed sweep left under the floor are deleted too; a segment it left straddling the
   * floor's end is cut there.
   */
  private async plan(topic: string, queueId: number, now: number, limit: number): Promise<SweepPlan | undefined> {
    const q = queueKey(topic, queueId);
    let plan: SweepPlan | undefined;
    let startKey: Item | undefined;
    do {
      const page = await this.gateway.query('other', 'sweep', queryForward(this.tables, q, 0, PAGE, false, startKey));
      for (const item of page.items.map(parseQueueItem)) {
        if (item.kind === 'head') return worthIt(plan);
        plan ??= {
          start: item.offset,
          startSpan: item.kind === 'tombstone' ? item.count : undefined,
          end: item.offset,
          covered: [],
          messages: [],
          claimKeys: [],
        };
        // A gap may be a reservation still being written: never sweep across one.
        if (item.offset > plan.end) return worthIt(plan);
        if (!this.absorb(plan, item, topic, queueId, now, limit)) return worthIt(plan);
      }
      startKey = page.lastKey;
    } while (startKey);
    return worthIt(plan);
  }

  /** Adds an item (or its expired part) to the plan; false when the sweep must stop here. */
  private absorb(plan: SweepPlan, item: QueueItem, topic: string, queueId: number, now: number, limit: number) {
    if (item.kind === 'head') return false;
    // A fresh seal may still have a live writer: neither delete it nor cover it with the floor.
    if (item.kind === 'tombstone' && !isSettled(item.expireAt ?? 0, now)) return false;
    const skip = plan.end - item.offset;
    if (item.kind === 'tombstone' || item.offset + item.count <= plan.end) {
      this.cover(plan, item.offset, item.count);
      return true;
    }
    const slots = decodeItemSlots(item, topic, queueId);
    let kept = skip;
    while (kept < slots.length) {
      const slot = slots[kept] as Slot;
      if (slot.kind === 'message') {
        if (slot.message.expireAt > now || plan.messages.length >= limit) break;
        plan.messages.push(slot.message);
        if (slot.claimKey) plan.claimKeys.push(slot.claimKey);
      }
      kept++;
    }
    if (kept === 0) return false;
    this.cover(plan, item.offset, kept);
    if (kept === slots.length) return true;
    const rest = slots.slice(kept).map((slot) => (slot.kind === 'message' ? slot : null));
    const firstOffset = item.offset + kept;
    const frame = { topic, queueId, firstOffset, storeTimestamp: item.storeTimestamp, expireAt: item.expireAt };
    plan.remainder = segmentItem({
      q: queueKey(topic, queueId),
      firstOffset,
      count: rest.length,
      data: encodeSegment(rest, frame),
      storeTimestamp: item.storeTimestamp,
      expireAt: item.expireAt,
    });
    return false;
  }

  private cover(plan: SweepPlan, offset: number, span: number): void {
    if (offset !== plan.start) plan.covered.push(offset);
    plan.end = Math.max(plan.end, offset + span);
  }

  private async deleteIndexRecords(topic: string, messages: readonly StoredMessage[]): Promise<void> {
    const keyDeletes = unique(
      messages.flatMap((message) =>
        message.keys.map((key) => ({
          DeleteRequest: {
            Key: { p: S(keyIndexPartition(topic, key)), s: S(keyIndexSortKey(message.storeTimestamp, message.msgId)) },
          },
        })),
      ),
    );
    if (keyDeletes.length > 0) await this.gateway.batchWrite('other', 'sweep', this.tables.index, keyDeletes);
    await Promise.all(
      messages.flatMap((message) =>
        message.messageId === undefined
          ? []
          : [
              this.gateway.delete('other', 'sweep', {
                TableName: this.tables.index,
                Key: dedupKey(topic, message.messageId),
                // Race prevented: a later message reused the messageId after this one expired; its record stays.
                ConditionExpression: 'i = :msgId',
                ExpressionAttributeValues: { ':msgId': S(message.msgId) },
              }),
            ],
      ),
    );
  }
}

/** A tombstone sealed longer ago than SETTLED_TOMBSTONE_AGE_MS (floors, expiry 0, always are). */
function isSettled(expireAt: number, now: number): boolean {
  return expireAt === 0 || expireAt - RECORD_LIFETIME_MS <= now - SETTLED_TOMBSTONE_AGE_MS;
}

/** A plan that only re-covers the existing floor changes nothing. */
function worthIt(plan: SweepPlan | undefined): SweepPlan | undefined {
  if (!plan || (plan.covered.length === 0 && !plan.remainder && plan.messages.length === 0)) return undefined;
  return plan;
}

/** BatchWriteItem refuses the same key twice in one request (two keys of one message may coincide). */
function unique(requests: WriteRequest[]): WriteRequest[] {
  const seen = new Set<string>();
  return requests.filter((request) => {
    const id = JSON.stringify(request.DeleteRequest?.Key);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
