import type { StoredMessage } from './model.ts';
import type { QueueRead } from './ports/message-log.ts';
import type { BrokerStore, Lease, NewLease } from './ports/store.ts';
import type { Prefetch } from './queue-hints.ts';
import { fits, hand, type Pass, toReceived } from './receive-pass.ts';
import type { TagFilter } from './tag-expression.ts';

/** How often one receive retries a queue after other receivers claimed its next range first. */
const MAX_CLAIM_CONFLICTS = 8;
/** Messages read at once from a queue when a tag filter may skip most of them. */
const FILTERED_READ_PAGE = 64;

/**
 * The queues that receives of this process are claiming from right now, per lane, each with
 * where its claimer will leave the lane's cursor. Concurrent receives of one lane (several
 * consumers polling one group) would otherwise read the same range of the same queue and all
 * but one lose the claim: a wasted read and a wasted write each. A receive takes another
 * queue instead, and comes back to a busy one only after its claim, from where it left the
 * cursor. Receivers in other processes still race in the store (the claim's condition).
 */
export class ClaimsInFlight {
  private readonly busy = new Map<string, Promise<number>>();

  /** Where the receive claiming from the queue now will leave the cursor; undefined when none is. */
  claimOf(lane: string, topic: string, queueId: number): Promise<number> | undefined {
    return this.busy.get(claimKey(lane, topic, queueId));
  }

  /** Marks the queue busy while `claim` runs; it resolves with the cursor it leaves. */
  track(lane: string, topic: string, queueId: number, claim: Promise<number>): Promise<number> {
    const key = claimKey(lane, topic, queueId);
    // Waiters only need to know when it ended (-1 when it failed); the claimer sees its own failure.
    const ended = claim.then(
      (cursor) => cursor,
      () => -1,
    );
    this.busy.set(key, ended);
    void ended.then(() => {
      if (this.busy.get(key) === ended) this.busy.delete(key);
    });
    return claim;
  }
}

function claimKey(lane: string, topic: string, queueId: number): string {
  return `${queueId}\u0000${lane}\u0000${topic}`;
}

/** What a claim from one queue needs besides the queue itself. */
export interface QueueClaimContext {
  store: BrokerStore;
  now: () => number;
  newToken: () => string;
  lane: string;
  topic: string;
  filter: TagFilter;
  max: number;
  invisibleMs: number;
  /** A read found nothing past `cursor` in the queue. */
  drained: (queueId: number, cursor: number) => void;
}

/**
 * Claims matching messages of one queue from the lane's cursor. The cursor moves past
 * filtered-out messages too, but stops right after the last message handed out, so the
 * rest stays for the next receive. Resolves with where it left the cursor.
 */
export async function claimFromQueue(
  context: QueueClaimContext,
  queueId: number,
  cursor: number,
  pass: Pass,
  prefetched?: Prefetch,
): Promise<number> {
  const { store, lane, topic, filter, max, invisibleMs } = context;
  let from = cursor;
  let conflicts = 0;
  let early = prefetched?.from === cursor ? prefetched : undefined;
  while (pass.messages.length < max && pass.budget > 0 && !pass.full) {
    const wanted = max - pass.messages.length;
    // Without a filter every message is taken: read exactly what is wanted (bodies can be 4 MiB).
    let limit = filter.expression === '*' ? wanted : Math.min(Math.max(wanted, FILTERED_READ_PAGE), pass.budget);
    const now = context.now();
    let read: QueueRead;
    if (early) {
      ({ limit } = early);
      read = await early.read;
      early = undefined;
    } else {
      read = await store.readQueue(topic, queueId, from, limit, now);
    }
    if (read.nextOffset === from) {
      if (read.messages.length === 0) context.drained(queueId, from);
      return from;
    }
    const leases: NewLease[] = [];
    const delivered: StoredMessage[] = [];
    let toOffset = read.nextOffset;
    let deliveredBytes = 0;
    let bodiesFull = false;
    for (const message of read.messages) {
      if (delivered.length === wanted) {
        toOffset = message.queueOffset;
        break;
      }
      if (!filter.matches(message.tag)) continue;
      if (!fits(pass, delivered.length, deliveredBytes, message.body)) {
        // The cursor stops before it: the next receive starts with this message.
        toOffset = message.queueOffset;
        bodiesFull = true;
        break;
      }
      deliveredBytes += message.body.length;
      delivered.push(message);
      leases.push({
        consumer: lane,
        topic,
        queueId,
        queueOffset: message.queueOffset,
        msgId: message.msgId,
        attempt: 1,
        visibleAt: now + invisibleMs,
        token: context.newToken(),
      });
    }
    if (toOffset === from) {
      pass.full = bodiesFull;
      return from;
    }
    const claimed = await store.claim({ consumer: lane, topic, queueId, fromOffset: from, toOffset, leases });
    if (!claimed) {
      // Another receiver of the lane (another process) claimed this range first: it hands
      // those out. Go on from where it left the cursor, so concurrent receivers on one busy
      // queue don't come back empty while messages are waiting.
      if (++conflicts > MAX_CLAIM_CONFLICTS) return from;
      const moved = (await store.getCursors(lane, topic)).get(queueId);
      if (moved === undefined || moved <= from) return from;
      from = moved;
      continue;
    }
    pass.progressed = true;
    pass.full = bodiesFull;
    pass.budget -= toOffset - from;
    // The store answers the leases in the order given, with the reference it chose for them.
    delivered.forEach((message, j) => {
      hand(pass, toReceived(message, claimed[j] as Lease));
    });
    from = toOffset;
    // Fewer than asked for: the read reached the queue's end.
    if (read.messages.length < limit || pass.full) return from;
  }
  return from;
}
