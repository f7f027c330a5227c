import { unacknowledged } from './dead-letter-entry.ts';
import { disposeOfLease } from './lease-disposal.ts';
import { LIMITS } from './limits.ts';
import type { Group, StoredMessage } from './model.ts';
import type { BrokerStore, Lease, NewLease } from './ports/store.ts';
import { fits, hand, type Pass, toReceived } from './receive-pass.ts';
import type { TagFilter } from './tag-expression.ts';

/*
 * Orderly receive of a FIFO topic, one queue at a time. A message group's messages sit in
 * one queue in offset order. The lane holds a lease on every message of a group it passed
 * while the group was busy: a *parked* lease (attempt 0, never delivered). Of each group
 * only the lease with the lowest offset may go out, so:
 *
 * - a group with a lease in flight (delivered, unacked, invisible) hands out nothing;
 * - a nacked or expired message keeps the lowest offset: it goes out next, attempt + 1;
 * - an ack, a dead-lettering or an expiry removes the lowest lease, and the next one of the
 *   group is deliverable at once: nothing else to write, nothing a crash could lose;
 * - other groups of the same queue go on: the cursor moves past a busy group's messages,
 *   parking them, instead of stopping at them.
 */

/** A parked lease's visible time lies past any message's retention: only the ordered receive hands it out. */
const PARKED_FOR_MS = LIMITS.maxRetentionMs + 86_400_000;
/**
 * Most leases (in flight and parked) a lane keeps on one queue: past it, the cursor waits
 * until acks free some, so one slow message group cannot make the lane park without end.
 */
export const MAX_QUEUE_LEASES = 1_024;
/** How often one receive retries a queue after other receivers of the lane claimed first. */
const MAX_CLAIM_CONFLICTS = 8;
/** How often one receive looks at a queue's heads again after disposing of some. */
const MAX_DISPOSAL_ROUNDS = 4;
/** Messages read at once: most of them may be parked rather than handed out. */
const ORDERED_READ_PAGE = 64;

/** What an ordered receive of one queue needs to know. */
export interface OrderedQueue {
  store: BrokerStore;
  group: Group;
  lane: string;
  topic: string;
  queueId: number;
  filter: TagFilter;
  max: number;
  invisibleMs: number;
  now: number;
  newToken: () => string;
}

/** Whether a lease was never delivered: it waits for the earlier messages of its group. */
export function isParked(lease: Lease): boolean {
  return lease.attempt === 0;
}

/**
 * Hands out the due heads of the queue's message groups, then new messages from the
 * lane's cursor, parking those whose group is busy. Returns the cursor after it.
 * @example
 * const cursor = await receiveOrderedQueue({ store, group, lane: 'billing', topic: 'orders', queueId: 3, ... }, 120, pass);
 */
export async function receiveOrderedQueue(queue: OrderedQueue, cursor: number, pass: Pass): Promise<number> {
  let leases = await queue.store.queueLeases(queue.lane, queue.topic, queue.queueId);
  // A head disposed of (dead-lettered, or expired) frees its group's next message: read the
  // leases again so that message goes out in this receive, not one poll interval later.
  for (let round = 0; (await deliverHeads(queue, leases, pass)) > 0 && round < MAX_DISPOSAL_ROUNDS; round++) {
    leases = await queue.store.queueLeases(queue.lane, queue.topic, queue.queueId);
  }
  let from = cursor;
  let conflicts = 0;
  for (;;) {
    const outcome = await claimNew(queue, from, leases, pass);
    if (outcome === 'done') return from;
    if (outcome !== 'conflict') {
      from = outcome.to;
      if (!outcome.more) return from;
      // The leases just claimed make their groups busy for the rest of the queue.
      leases = [...leases, ...outcome.claimed];
      continue;
    }
    // Another receiver of the lane moved the cursor first: its leases decide which groups are
    // busy now, so read them again before looking at the messages after its claim.
    if (++conflicts > MAX_CLAIM_CONFLICTS) return from;
    const moved = (await queue.store.getCursors(queue.lane, queue.topic)).get(queue.queueId);
    if (moved === undefined || moved <= from) return from;
    from = moved;
    leases = await queue.store.queueLeases(queue.lane, queue.topic, queue.queueId);
  }
}

/**
 * The lease with the lowest offset of each message group that has no delivery in flight;
 * leases without a group are not ordered. Only a head is ever delivered, so a delivery in
 * flight is the head itself, except after a redrive: a redriven dead letter comes back below
 * a later message of its group that may be in flight, and waits for it.
 */
function headsOf(leases: readonly Lease[], now: number): Lease[] {
  const heads = new Map<string, Lease>();
  const inFlight = new Set<string>();
  for (const lease of leases) {
    if (lease.messageGroup === undefined) continue;
    if (!isParked(lease) && lease.visibleAt > now) inFlight.add(lease.messageGroup);
    const head = heads.get(lease.messageGroup);
    if (!head || lease.queueOffset < head.queueOffset) heads.set(lease.messageGroup, lease);
  }
  return [...heads.values()].filter((head) => !inFlight.has(head.messageGroup as string));
}

/**
 * The head of each group (its lowest lease) when it may go out now: parked, or delivered
 * before and visible again (nacked or expired). A head at its last attempt is disposed of
 * (dead-lettered, or dropped when expired); the group's next lease goes out on the next
 * look at the leases. Returns how many heads were disposed of.
 */
async function deliverHeads(queue: OrderedQueue, leases: readonly Lease[], pass: Pass): Promise<number> {
  const { store, group, now } = queue;
  const heads = headsOf(leases, now).filter((head) => isParked(head) || head.visibleAt <= now);
  let disposed = 0;
  // Earliest message first: a long-waiting group is not starved by newer ones.
  heads.sort((a, b) => a.queueOffset - b.queueOffset);
  for (let start = 0; start < heads.length && pass.messages.length < queue.max && !pass.full; ) {
    const page = heads.slice(start, start + queue.max - pass.messages.length);
    start += page.length;
    pass.budget -= page.length;
    const messages = await store.getMessages(page, now);
    for (const [i, head] of page.entries()) {
      const message = messages[i];
      if (!message || head.attempt >= group.maxDeliveryAttempts) {
        const reason = unacknowledged(head.attempt);
        const disposal = await disposeOfLease(store, group, head, message, now, reason, (e) => pass.events?.push(e));
        if (disposal !== 'stale') disposed++;
        continue;
      }
      if (!fits(pass, 0, 0, message.body)) {
        pass.full = true;
        return disposed;
      }
      const update = { attempt: head.attempt + 1, visibleAt: now + queue.invisibleMs, token: queue.newToken() };
      // Token-fenced: of two receivers that saw the same head, one hands it out.
      if (await store.updateLease(head, head.token, update)) {
        hand(pass, toReceived(message, { ...head, ...update }));
        pass.progressed = true;
      }
    }
  }
  return disposed;
}

/** A claim of new messages that went through: where the cursor is now, and whether the queue may hold more. */
interface Claimed {
  to: number;
  more: boolean;
  claimed: Lease[];
}

/**
 * Claims the messages after the cursor: the first of an idle group goes out, the others
 * (of groups busy or just served) are parked. 'done' when nothing more is to be had here,
 * 'conflict' when another receiver moved the cursor first.
 */
async function claimNew(
  queue: OrderedQueue,
  from: number,
  leases: readonly Lease[],
  pass: Pass,
): Promise<Claimed | 'done' | 'conflict'> {
  const { store, lane, topic, queueId, now } = queue;
  const room = MAX_QUEUE_LEASES - leases.length;
  if (room <= 0 || pass.messages.length >= queue.max || pass.full || pass.budget <= 0) return 'done';
  const busy = new Set(leases.flatMap((lease) => (lease.messageGroup === undefined ? [] : [lease.messageGroup])));
  const limit = Math.min(ORDERED_READ_PAGE, room, pass.budget);
  const read = await store.readQueue(topic, queueId, from, limit, now);
  if (read.nextOffset === from) return 'done';
  // Each handed-out message with the position of its lease in the claim.
  const handed: { message: StoredMessage; index: number }[] = [];
  const claiming: NewLease[] = [];
  let toOffset = read.nextOffset;
  let bytes = 0;
  let stopped = false;
  for (const message of read.messages) {
    if (!queue.filter.matches(message.tag)) continue;
    const base = { consumer: lane, topic, queueId, queueOffset: message.queueOffset, msgId: message.msgId };
    const messageGroup = message.messageGroup;
    if (messageGroup !== undefined && busy.has(messageGroup)) {
      claiming.push({ ...base, attempt: 0, visibleAt: now + PARKED_FOR_MS, token: queue.newToken(), messageGroup });
      continue;
    }
    const receiveFull = pass.messages.length + handed.length >= queue.max;
    if (receiveFull || !fits(pass, handed.length, bytes, message.body)) {
      // The cursor stops before it: the next receive starts with this message.
      toOffset = message.queueOffset;
      pass.full = !receiveFull;
      stopped = true;
      break;
    }
    const lease: NewLease = {
      ...base,
      attempt: 1,
      visibleAt: now + queue.invisibleMs,
      token: queue.newToken(),
      ...(messageGroup === undefined ? {} : { messageGroup }),
    };
    if (messageGroup !== undefined) busy.add(messageGroup);
    bytes += message.body.length;
    handed.push({ message, index: claiming.length });
    claiming.push(lease);
  }
  if (toOffset === from) return 'done';
  const claimed = await store.claim({ consumer: lane, topic, queueId, fromOffset: from, toOffset, leases: claiming });
  if (!claimed) return 'conflict';
  pass.progressed = true;
  pass.budget -= toOffset - from;
  // The store answers the leases in the order given, with the reference it chose for them.
  for (const { message, index } of handed) hand(pass, toReceived(message, claimed[index] as Lease));
  // Read on only while pages hand something out: a page that only parked (every group in it
  // busy) ends this receive's look at the queue, so the cursor does not race to the lease cap.
  const more = !stopped && read.messages.length >= limit && handed.length > 0;
  return { to: toOffset, more, claimed };
}
