/**
 * Key layout of every item kind (see README.md). Topic and group names never contain `#`
 * (names are `[A-Za-z0-9_-]`, system names add `%`), so `#` separates key parts safely.
 */

/** Sort key of a queue's head item: above every offset, so a forward query ends on it. */
export const HEAD_OFFSET = Number.MAX_SAFE_INTEGER;

/** messages table: the partition of one queue. */
export function queueKey(topic: string, queueId: number): string {
  return `${topic}#${queueId}`;
}

export function parseQueueKey(q: string): { topic: string; queueId: number } {
  const at = q.lastIndexOf('#');
  return { topic: q.slice(0, at), queueId: Number(q.slice(at + 1)) };
}

/** Partition key of the queues index: every queue head carries it, so sweeps find every queue. */
export const QUEUES_INDEX_KEY = 'queue';

/** state table: catalog records live in two small partitions. */
export const TOPICS_PARTITION = 'topic';
export const GROUPS_PARTITION = 'group';

/** state table: a lane's cursors on one topic, one item per queue (sort key = queueId). */
export function cursorPartition(lane: string, topic: string): string {
  return `C#${lane}#${topic}`;
}

/** state table: a lane's lease items on one topic (sort key = `queueId#batchId`). */
export function leasePartition(lane: string, topic: string): string {
  return `L#${lane}#${topic}`;
}

export function leaseSortKey(queueId: number, batchId: string): string {
  return `${queueId}#${batchId}`;
}

/**
 * The reference (batchId) of a claim's lease item: the offset the claim moved the cursor
 * from, unique per lane and queue until an offset reset moves the cursor back (the claim
 * then merges into the item left there, see LeaseClaims), then `.` and how many leases the
 * claim stored, so whoever acks the whole batch (any process: the size travels in the
 * receipt handles) deletes the item in one write. The item's key leaves the size out
 * (`batchItemId`): receivers racing from one position must write the same key, whatever
 * they claim.
 */
export function claimBatchId(fromOffset: number, leases: number): string {
  return `c${fromOffset}.${leases}`;
}

const CLAIM_BATCH_ID = /^(c\d+)\.(\d+)$/;

/** The part of a batchId that names its lease item (handles of earlier versions carry `c<from>` alone). */
export function batchItemId(batchId: string): string {
  return CLAIM_BATCH_ID.exec(batchId)?.[1] ?? batchId;
}

/** How many leases a claim stored under this batchId, when the id says so. */
export function batchSize(batchId: string): number | undefined {
  const size = CLAIM_BATCH_ID.exec(batchId)?.[2];
  return size === undefined ? undefined : Number(size);
}

/** The reference (batchId) of a redriven lease's item: when and which message was put back. */
export function redriveBatchId(visibleAt: number, queueOffset: number): string {
  return `r${visibleAt}.${queueOffset}`;
}

/** state table: the lanes (and topics) of a group, so the group can be removed completely. */
export function groupLanesPartition(group: string): string {
  return `R#${group}`;
}

/** state table: the lanes consuming a topic, so the topic can be removed completely. */
export function topicLanesPartition(topic: string): string {
  return `U#${topic}`;
}

/** state table: a group's dead letters, oldest first. */
export function deadLetterPartition(group: string): string {
  return `DL#${group}`;
}

export function deadLetterSortKey(entry: {
  deadAt: number;
  consumer: string;
  topic: string;
  queueId: number;
  queueOffset: number;
}): string {
  return `${pad(entry.deadAt)}#${entry.consumer}#${entry.topic}#${entry.queueId}#${entry.queueOffset}`;
}

/** state table: a named lock (sort key `SINGLE_SORT_KEY`). */
export function lockPartition(name: string): string {
  return `LK#${name}`;
}

/** index table: the idempotency record of one (topic, messageId). */
export function dedupPartition(topic: string, messageId: string): string {
  return `D#${topic}#${messageId}`;
}

export const SINGLE_SORT_KEY = '-';

/** index table: one entry per (topic, key, message), newest last. */
export function keyIndexPartition(topic: string, key: string): string {
  return `K#${topic}#${key}`;
}

export function keyIndexSortKey(storeTimestamp: number, msgId: string): string {
  return `${pad(storeTimestamp)}#${msgId}`;
}

/** Fixed-width epoch ms, so string order is time order. */
export function pad(epochMs: number): string {
  return String(epochMs).padStart(15, '0');
}
