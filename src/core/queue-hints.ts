import type { Topic } from './model.ts';
import type { QueueRead } from './ports/message-log.ts';

/** Most queues of a topic one receive reads at the same time. */
const MAX_PARALLEL_QUEUE_READS = 4;

/** A lane's cursors on a topic and what is known of the queue heads, with the queue whose turn it is. */
export interface TopicView {
  topic: Topic;
  cursors: Map<number, number>;
  /** Lower bounds of the queue heads: read now (`fresh`) or remembered (QueueHints). */
  heads: number[];
  fresh: boolean;
  start: number;
}

/** A queue read started ahead of its turn in the same receive. */
export interface Prefetch {
  from: number;
  limit: number;
  read: Promise<QueueRead>;
}

/**
 * The reads of ready queues after position `i` (in turn order) that a receive wanting
 * `wanted` more messages will need by the heads, at most a few queues ahead. Used only where
 * a queue hands out everything it holds (no tag filter, no body budget), so each read
 * brings about `head - cursor` messages; the queue at `i` itself is read by its own loop.
 */
export function readsAhead(
  view: TopicView,
  heads: readonly number[],
  i: number,
  wanted: number,
): { queueId: number; from: number; limit: number }[] {
  const { topic, cursors, start } = view;
  const reads: { queueId: number; from: number; limit: number }[] = [];
  let needed = wanted;
  for (let j = i; j < topic.queueCount && j < i + MAX_PARALLEL_QUEUE_READS && needed > 0; j++) {
    const queueId = (start + j) % topic.queueCount;
    const from = cursors.get(queueId) ?? 0;
    const ready = (heads[queueId] ?? 0) - from;
    if (ready <= 0) continue;
    const limit = Math.min(needed, ready);
    needed -= limit;
    if (j !== i) reads.push({ queueId, from, limit });
  }
  return reads;
}

/**
 * What this process last saw of a topic's queues, so a receive can skip reading the queue
 * heads when it already knows the queue whose turn it is holds messages for its lane.
 *
 * A head seen once stays a lower bound (offsets are only ever added), so "the lane's
 * cursor is below a head seen before" proves the queue has something past the cursor,
 * exactly what a fresh read would show. A queue that looks empty by these hints is never
 * skipped on their word: the receive reads the heads first. Fresh reads replace the hints
 * (also downwards: a topic deleted and created again starts over).
 */
export class QueueHints {
  private readonly heads = new Map<string, number[]>();
  private readonly cursors = new Map<string, Map<number, number>>();

  /** Whether `queueId` of the topic was known to hold messages past the lane's cursor after its last receive. */
  likelyReady(lane: string, topic: string, queueId: number): boolean {
    const cursor = this.cursors.get(laneKey(lane, topic))?.get(queueId);
    const head = this.heads.get(topic)?.[queueId];
    return cursor !== undefined && head !== undefined && cursor < head;
  }

  /** The heads last seen (0 where never seen). */
  headsOf(topic: string, queueCount: number): number[] {
    const known = this.heads.get(topic) ?? [];
    return Array.from({ length: queueCount }, (_, queueId) => known[queueId] ?? 0);
  }

  rememberHeads(topic: string, heads: number[]): number[] {
    bounded(this.heads).set(topic, [...heads]);
    return heads;
  }

  /** The lane's cursors as it leaves them (claims move them on; see `moved`). */
  rememberCursors(lane: string, topic: string, cursors: Map<number, number>): void {
    bounded(this.cursors).set(laneKey(lane, topic), new Map(cursors));
  }

  moved(lane: string, topic: string, queueId: number, to: number): void {
    this.cursors.get(laneKey(lane, topic))?.set(queueId, to);
  }

  /** A read found nothing past `cursor`: the queue's hint no longer says it is ready. */
  drained(topic: string, queueId: number, cursor: number): void {
    const heads = this.heads.get(topic);
    if (heads && (heads[queueId] ?? 0) > cursor) heads[queueId] = cursor;
  }
}

function laneKey(lane: string, topic: string): string {
  return `${lane}\u0000${topic}`;
}

/** Many lanes or topics: start over rather than grow without bound. */
function bounded<T>(map: Map<string, T>): Map<string, T> {
  if (map.size > 10_000) map.clear();
  return map;
}
