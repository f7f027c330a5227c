import { NimbusError } from '../../core/errors.ts';
import type { MessageRef, StoredMessage } from '../../core/model.ts';
import type { QueueOffsets, QueueRead } from '../../core/ports/store.ts';
import type { CapacityKind } from './capacity.ts';
import type { ClaimCheck } from './claim-check.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { HoleSealer } from './hole-sealer.ts';
import { queueKey } from './keys.ts';
import { headKey, queryBackward, queryForward } from './message-requests.ts';
import type { DynamoDbStoreHooks } from './options.ts';
import { type FoundMessage, parseQueueItem, type QueueItem, walkQueue } from './queue-items.ts';
import type { TableNames } from './table-definitions.ts';

/**
 * Bodies from the claim check (up to 4 MiB each) one queue read loads at most: a read of
 * 32 large messages would hold 128 MiB at once (and twice that while S3 streams are
 * collected), more than a small Lambda function has. Readers get the rest on the next read.
 */
const MAX_CLAIMED_BODIES_PER_READ = 8;

/** The leading messages of a read whose S3 bodies stay within MAX_CLAIMED_BODIES_PER_READ. */
function withinClaimedBodies(found: readonly FoundMessage[]): readonly FoundMessage[] {
  let claimed = 0;
  for (const [i, entry] of found.entries()) {
    if (entry.claimKey && ++claimed > MAX_CLAIMED_BODIES_PER_READ) return found.slice(0, i);
  }
  return found;
}

/** Pages a single read may take before it returns what it has (bounds the cost of long expired runs). */
const MAX_PAGES = 12;
/**
 * Seal steps one read takes before it returns what it has (a step seals up to 2,000 offsets,
 * or finds the missing offset written after all; an eventually consistent read may then
 * still miss that writer for a moment, so the next step is left to the next read).
 */
const MAX_SEALS_PER_READ = 4;
/** Refs further apart than this are looked up with separate queries. */
const CLUSTER_SPAN = 256;

/**
 * Reads queues: ranges for consumers (eventually consistent: a missed segment only looks
 * like "not yet"), single positions for redelivery (strongly consistent), and queue heads.
 * Holes left by dead writers are sealed by hole-sealer.ts.
 */
export class QueueReader {
  /** Per queue: messages per segment lately, to size query pages (DynamoDB charges every item a page reads). */
  private readonly segmentSizes = new Map<string, number>();

  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly claimCheck: ClaimCheck | undefined;
  private readonly sealer: HoleSealer;

  constructor(
    gateway: DynamoGateway,
    tables: TableNames,
    claimCheck: ClaimCheck | undefined,
    holeTimeoutMs: number,
    hooks: DynamoDbStoreHooks,
  ) {
    this.gateway = gateway;
    this.tables = tables;
    this.claimCheck = claimCheck;
    this.sealer = new HoleSealer(gateway, tables, holeTimeoutMs, hooks);
  }

  /** `seals`: how many seal steps this read already took (it reads on after each, up to MAX_SEALS_PER_READ). */
  async readQueue(
    topic: string,
    queueId: number,
    from: number,
    limit: number,
    now: number,
    seals = 0,
  ): Promise<QueueRead> {
    const q = queueKey(topic, queueId);
    if (limit <= 0) return { messages: [], nextOffset: from };
    const items: QueueItem[] = [];
    let startKey: Item | undefined;
    let queryFrom = from;
    let walk = walkQueue(items, from, limit, now, topic, queueId);
    for (let page = 0; page < MAX_PAGES && walk.stop === 'more'; page++) {
      const need = limit - walk.found.length;
      const input = queryForward(this.tables, q, queryFrom, this.pageLimit(q, need), false, startKey);
      const result = await this.gateway.query('receive', 'readQueue', input);
      const parsed = result.items.map(parseQueueItem);
      const first = parsed[0];
      if (page === 0 && first && (first.kind === 'head' ? from < first.nextOffset : first.offset !== from)) {
        // Nothing starts at `from`: it may sit inside a segment (a reader stopped mid-segment).
        const covering = await this.coveringItem(q, from, false);
        if (covering) items.push(covering);
      }
      items.push(...parsed);
      this.learnSegmentSizes(q, parsed);
      walk = walkQueue(items, from, limit, now, topic, queueId);
      startKey = result.lastKey;
      if (!startKey) break;
      const last = parsed.at(-1);
      if (last && last.kind !== 'head' && walk.next > last.offset + 1) {
        // A wide tombstone covered past everything this page read (the one-offset tombstones
        // of a sealed run lie under it): go on from where it ends instead.
        queryFrom = walk.next;
        startKey = undefined;
      }
    }
    const loadable = withinClaimedBodies(walk.found);
    if (loadable.length < walk.found.length) {
      // The first message left out is where the next read starts.
      const next = walk.found[loadable.length]?.message.queueOffset ?? walk.next;
      return { messages: await this.loadBodies(loadable), nextOffset: next };
    }
    const messages = await this.loadBodies(walk.found);
    if (walk.stop !== 'gap' || walk.gapEnd === undefined) return { messages, nextOffset: walk.next };
    const gap = { from: walk.next, to: walk.gapEnd, reservedBy: walk.gapReservedBy };
    const sealed = await this.sealer.sealIfDue(topic, queueId, gap, now, async () =>
      Boolean(await this.coveringItem(q, gap.from, true)),
    );
    if (!sealed || messages.length >= limit || seals >= MAX_SEALS_PER_READ) return { messages, nextOffset: walk.next };
    const rest = await this.readQueue(topic, queueId, walk.next, limit - messages.length, now, seals + 1);
    return { messages: [...messages, ...rest.messages], nextOffset: rest.nextOffset };
  }

  /** Messages at given positions (strongly consistent: redelivery must not mistake a lag for expiry). */
  async getMessages(
    refs: readonly MessageRef[],
    now: number,
    kind: CapacityKind,
  ): Promise<(StoredMessage | undefined)[]> {
    const found: (FoundMessage | undefined)[] = new Array(refs.length).fill(undefined);
    const byQueue = new Map<string, { topic: string; queueId: number; indices: number[] }>();
    refs.forEach((ref, index) => {
      const q = queueKey(ref.topic, ref.queueId);
      const entry = byQueue.get(q) ?? { topic: ref.topic, queueId: ref.queueId, indices: [] };
      entry.indices.push(index);
      byQueue.set(q, entry);
    });
    await Promise.all(
      [...byQueue.entries()].flatMap(([q, { topic, queueId, indices }]) =>
        clusters(indices, (i) => refs[i]?.queueOffset ?? 0).map(async (cluster) => {
          const offsets = cluster.map((i) => refs[i]?.queueOffset ?? 0);
          const items = await this.itemsDownTo(q, Math.max(...offsets), Math.min(...offsets), kind);
          for (const i of cluster) {
            const offset = refs[i]?.queueOffset ?? -1;
            const walk = walkQueue(items, offset, 1, now, topic, queueId);
            const hit = walk.found[0];
            if (hit && hit.message.queueOffset === offset) found[i] = hit;
          }
        }),
      ),
    );
    const live = found.filter((entry): entry is FoundMessage => entry !== undefined);
    const loaded = await this.loadBodies(live);
    let at = 0;
    return found.map((entry) => (entry ? loaded[at++] : undefined));
  }

  async queueOffsets(topic: string, queueCount: number): Promise<QueueOffsets[]> {
    const ids = Array.from({ length: queueCount }, (_, i) => i);
    const heads = await this.gateway.batchGet(
      'other',
      'queueOffsets',
      this.tables.messages,
      ids.map((id) => headKey(topic, id)),
      true,
    );
    const tails = new Map(heads.map((item) => [item['q']?.S ?? '', Number(item['n']?.N ?? 0)]));
    return Promise.all(
      ids.map(async (queueId) => {
        const q = queueKey(topic, queueId);
        const nextOffset = tails.get(q) ?? 0;
        const bottom = await this.gateway.query('other', 'queueOffsets', queryForward(this.tables, q, 0, 4, true));
        return { queueId, minOffset: lowestStored(bottom.items.map(parseQueueItem), nextOffset), nextOffset };
      }),
    );
  }

  async loadBodies(found: readonly FoundMessage[]): Promise<StoredMessage[]> {
    return Promise.all(
      found.map(async ({ message, claimKey }) => {
        if (!claimKey) return message;
        if (!this.claimCheck) {
          throw new NimbusError(
            'STORE_UNAVAILABLE',
            `Message ${message.msgId} has its body in S3 but no bucket is set.`,
          );
        }
        return { ...message, body: await this.claimCheck.get(claimKey) };
      }),
    );
  }

  /** The segment or tombstone covering `offset`, if any (found by looking downward from it). */
  private async coveringItem(q: string, offset: number, consistent: boolean): Promise<QueueItem | undefined> {
    if (offset <= 0) return undefined;
    const result = await this.gateway.query(
      'receive',
      'readQueue',
      queryBackward(this.tables, q, offset, 1, consistent),
    );
    const item = result.items[0] ? parseQueueItem(result.items[0]) : undefined;
    if (!item || item.kind === 'head') return undefined;
    return item.offset + item.count > offset ? item : undefined;
  }

  /** Items from `high` down to the one covering `low`, returned in ascending order. */
  private async itemsDownTo(q: string, high: number, low: number, kind: CapacityKind): Promise<QueueItem[]> {
    const items: QueueItem[] = [];
    let startKey: Item | undefined;
    for (let page = 0; page < 100; page++) {
      // Every item covers at least one offset, so this never reads past what the range needs (+1 covering item).
      const limit = Math.min(100, high - low + 2);
      const result = await this.gateway.query(
        kind,
        'getMessages',
        queryBackward(this.tables, q, high, limit, true, startKey),
      );
      const parsed = result.items.map(parseQueueItem);
      items.push(...parsed);
      startKey = result.lastKey;
      if (!startKey || parsed.some((item) => item.kind !== 'head' && item.offset <= low)) break;
    }
    return items.reverse();
  }

  private pageLimit(q: string, need: number): number {
    const perSegment = this.segmentSizes.get(q) ?? 32;
    return Math.min(100, Math.max(1, Math.ceil(need / perSegment)));
  }

  private learnSegmentSizes(q: string, items: readonly QueueItem[]): void {
    if (this.segmentSizes.size > 10_000) this.segmentSizes.clear();
    for (const item of items) {
      if (item.kind !== 'segment') continue;
      const previous = this.segmentSizes.get(q) ?? item.count;
      this.segmentSizes.set(q, Math.max(1, previous * 0.7 + item.count * 0.3));
    }
  }
}

/**
 * The lowest offset a new lane may start at: past the floor and the tombstones at the
 * bottom of the queue, but never past a missing offset. A missing offset at the bottom
 * may be a reservation still being written (or already sealed only in part); the lane
 * then starts there and waits for it or seals it like any reader. A queue with nothing
 * else stored starts at its tail.
 */
export function lowestStored(items: readonly QueueItem[], nextOffset: number): number {
  let at = 0;
  for (const item of items) {
    if (item.kind === 'head' || item.offset > at || item.kind === 'segment') break;
    at = Math.max(at, item.offset + item.count);
  }
  return Math.min(at, nextOffset);
}

/** Splits indices into groups whose offsets lie close together (one query each). */
function clusters(indices: readonly number[], offsetOf: (index: number) => number): number[][] {
  const sorted = [...indices].sort((a, b) => offsetOf(a) - offsetOf(b));
  const out: number[][] = [];
  for (const index of sorted) {
    const current = out.at(-1);
    const first = current?.[0];
    if (current && first !== undefined && offsetOf(index) - offsetOf(first) <= CLUSTER_SPAN) current.push(index);
    else out.push([index]);
  }
  return out;
}
