import type { Catalog } from './catalog.ts';
import { deadLetterFor, unacknowledged } from './dead-letter-entry.ts';
import { NimbusError } from './errors.ts';
import { assertClientId, LIMITS } from './limits.ts';
import type { Group, ReceivedMessage, StoredMessage } from './model.ts';
import type { Clock, IdGenerator } from './ports/clock.ts';
import type { Notifier } from './ports/notifier.ts';
import type { BrokerStore, Lease } from './ports/store.ts';
import { encodeReceiptHandle } from './receipt-handle.ts';
import { parseTagExpression, type TagFilter } from './tag-expression.ts';

export interface ReceiveOptions {
  maxMessages?: number;
  invisibleDurationMs?: number;
  /** Long-poll: how long to wait for a message when none is ready (0 = return at once). */
  waitMs?: number;
  /** Required for broadcasting groups: each client id keeps its own progress. */
  clientId?: string;
  /**
   * Stop adding messages once their bodies would add up to more than this many bytes; the
   * rest stays for the next receive (cursor and due leases untouched). One message always
   * goes out. For transports with a response limit (Lambda behind API Gateway: 6 MB).
   */
  maxBodyBytes?: number;
  signal?: AbortSignal;
}

/** How often one receive retries a queue after other receivers claimed its next range first. */
const MAX_CLAIM_CONFLICTS = 8;

/** Upper bound on a long-poll sleep between store checks when no signal arrives. */
const POLL_INTERVAL_MS = 1_000;
/**
 * A quiet long-poll doubles its sleep between store checks up to this: on a store shared by
 * many processes (DynamoDB, where sends elsewhere cannot wake it) an idle 20 s poll then
 * checks about 11 times instead of 40, and a message still arrives within 2 s.
 */
const MAX_POLL_INTERVAL_MS = 2_000;
/** Messages read at once from a queue when a tag filter may skip most of them. */
const FILTERED_READ_PAGE = 64;
/**
 * Most queue offsets and due leases one pass of a receive examines (filtered-out and
 * dead-lettered ones included), so a receive answers quickly; a long-poll goes on at once.
 */
const SCAN_BUDGET = 2_048;
/** Messages loaded at once where bodies may be large (up to 4 MiB each). */
export const LARGE_BODY_PAGE = 8;

/** What one pass over a lane's subscriptions found, and whether it moved any cursor. */
interface Pass {
  messages: ReceivedMessage[];
  progressed: boolean;
  /** Offsets and leases this pass may still examine. */
  budget: number;
  /** Body bytes of `messages`, and the most they may reach (see ReceiveOptions.maxBodyBytes). */
  bodyBytes: number;
  maxBodyBytes: number;
  /** A message did not fit into maxBodyBytes: the pass hands out what it has. */
  full: boolean;
}

/** Whether one more message with this body still fits into the pass (the first one always does). */
function fits(pass: Pass, pendingCount: number, pendingBytes: number, body: Uint8Array): boolean {
  if (pass.messages.length + pendingCount === 0) return true;
  return pass.bodyBytes + pendingBytes + body.length <= pass.maxBodyBytes;
}

function hand(pass: Pass, message: ReceivedMessage): void {
  pass.messages.push(message);
  pass.bodyBytes += message.body.length;
}

/**
 * Hands messages to consumers. A lane (the group, or `group@clientId` when
 * broadcasting) first gets its due redeliveries, then new messages from its cursors.
 */
export class Consumer {
  /** Which subscription a lane's next receive looks at first. */
  private readonly subscriptionTurn = new Map<string, number>();
  /**
   * Which queue a lane's next receive of a topic starts at: one step on per receive, so
   * every non-empty queue is served in turn whatever the number of queues and subscriptions.
   */
  private readonly queueTurn = new Map<string, number>();

  private readonly store: BrokerStore;
  private readonly catalog: Catalog;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly notifier: Notifier;
  private readonly pollIntervalMs: number;

  constructor(
    store: BrokerStore,
    catalog: Catalog,
    clock: Clock,
    ids: IdGenerator,
    notifier: Notifier,
    pollIntervalMs: number = POLL_INTERVAL_MS,
  ) {
    this.store = store;
    this.catalog = catalog;
    this.clock = clock;
    this.ids = ids;
    this.notifier = notifier;
    this.pollIntervalMs = pollIntervalMs;
  }

  /**
   * Receives up to `maxMessages`, long-polling up to `waitMs` when none is ready.
   * @example
   * const messages = await consumer.receive('billing', { maxMessages: 16, waitMs: 20_000 });
   */
  async receive(groupName: string, options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    let group = await this.catalog.getGroup(groupName);
    const max = checkedInt(options.maxMessages, 1, 1, LIMITS.maxReceiveMessages, 'maxMessages');
    const invisibleMs = checkedInt(
      options.invisibleDurationMs,
      LIMITS.defaultInvisibleMs,
      LIMITS.minInvisibleMs,
      LIMITS.maxInvisibleMs,
      'invisibleDurationMs',
    );
    const waitMs = checkedInt(options.waitMs, 0, 0, LIMITS.maxWaitMs, 'waitMs');
    const lane = laneOf(group, options.clientId);
    const deadline = this.clock.now() + waitMs;
    let pollMs = this.pollIntervalMs;
    for (;;) {
      // The caller went away: what we claimed now would stay hidden from everyone for nothing.
      if (options.signal?.aborted) return [];
      const pass = await this.receiveOnce(group, lane, max, invisibleMs, options.maxBodyBytes ?? Infinity);
      const remaining = deadline - this.clock.now();
      if (pass.messages.length > 0 || remaining <= 0) return pass.messages;
      // Only filtered-out messages so far: there may be matching ones further on, look at once.
      if (pass.progressed) continue;
      const nextDue = await this.store.nextLeaseVisibleAt(lane);
      const untilDue = nextDue === undefined ? remaining : Math.max(nextDue - this.clock.now(), 1);
      const topics = group.subscriptions.map((sub) => sub.topic);
      await this.notifier.wait(topics, Math.min(remaining, untilDue, pollMs), options.signal);
      pollMs = Math.min(pollMs * 2, Math.max(this.pollIntervalMs, MAX_POLL_INTERVAL_MS));
      // Read the group again: a deleted group ends the poll (instead of consuming for nobody),
      // and subscriptions changed meanwhile apply at once.
      group = await this.catalog.getGroup(groupName);
    }
  }

  private async receiveOnce(
    group: Group,
    lane: string,
    max: number,
    invisibleMs: number,
    maxBodyBytes: number,
  ): Promise<Pass> {
    const pass: Pass = {
      messages: [],
      progressed: false,
      budget: SCAN_BUDGET,
      bodyBytes: 0,
      maxBodyBytes,
      full: false,
    };
    await this.redeliver(group, lane, max, invisibleMs, pass);
    const subs = group.subscriptions;
    const start = nextTurn(this.subscriptionTurn, lane);
    for (let i = 0; i < subs.length && pass.messages.length < max && pass.budget > 0 && !pass.full; i++) {
      const sub = subs[(start + i) % subs.length];
      if (!sub) continue;
      await this.receiveNew(group, lane, sub.topic, parseTagExpression(sub.tagExpression), max, invisibleMs, pass);
    }
    return pass;
  }

  /**
   * Due leases: unacked messages whose invisible time passed, or nacked ones whose delay
   * passed. Leases that are only disposed of (expired, or dead-lettered at their last
   * attempt) do not use up the receive: it reads on, so deliverable ones behind them go out now.
   */
  private async redeliver(group: Group, lane: string, max: number, invisibleMs: number, pass: Pass): Promise<void> {
    const now = this.clock.now();
    while (pass.messages.length < max && pass.budget > 0 && !pass.full) {
      // With a body budget, bodies may be large: load a few at a time, not a whole batch of 4 MiB ones.
      const page = Number.isFinite(pass.maxBodyBytes) ? LARGE_BODY_PAGE : max;
      const wanted = Math.min(max - pass.messages.length, page);
      const due = await this.store.dueLeases(lane, now, wanted);
      if (due.length === 0) return;
      pass.budget -= due.length;
      const messages = await this.store.getMessages(due, now);
      for (const [i, lease] of due.entries()) {
        const message = messages[i];
        if (!message) {
          // Expired by retention while waiting for redelivery: never deliver it.
          await this.store.deleteLeases([{ key: lease, token: lease.token }]);
          continue;
        }
        if (lease.attempt >= group.maxDeliveryAttempts) {
          await this.store.deadLetter(
            lease,
            lease.token,
            deadLetterFor(group.name, lease, now, unacknowledged(lease.attempt)),
          );
          continue;
        }
        if (!fits(pass, 0, 0, message.body)) {
          // Left due: the next receive redelivers it.
          pass.full = true;
          return;
        }
        const update = { attempt: lease.attempt + 1, visibleAt: now + invisibleMs, token: this.ids.token() };
        if (await this.store.updateLease(lease, lease.token, update)) {
          hand(pass, toReceived(message, { ...lease, ...update }));
        }
      }
      // Fewer due than asked for: none is left.
      if (due.length < wanted) return;
    }
  }

  private async receiveNew(
    group: Group,
    lane: string,
    topicName: string,
    filter: TagFilter,
    max: number,
    invisibleMs: number,
    pass: Pass,
  ): Promise<void> {
    const topic = await this.catalog.findTopic(topicName);
    if (!topic) return;
    // Cursors and queue heads in one round: queues with nothing past the cursor are not read.
    const [cursors, heads] = await Promise.all([
      this.cursorsFor(group, lane, topic.name, topic.queueCount),
      this.store.queueHeads(topic.name, topic.queueCount),
    ]);
    const start = nextTurn(this.queueTurn, `${lane}\u0000${topic.name}`);
    for (let i = 0; i < topic.queueCount && pass.messages.length < max && pass.budget > 0 && !pass.full; i++) {
      const queueId = (start + i) % topic.queueCount;
      const cursor = cursors.get(queueId) ?? 0;
      if (cursor >= (heads[queueId] ?? 0)) continue;
      await this.receiveFromQueue(lane, topic.name, queueId, cursor, filter, max, invisibleMs, pass);
    }
  }

  /**
   * Claims matching messages of one queue from the lane's cursor. The cursor moves past
   * filtered-out messages too, but stops right after the last message handed out, so the
   * rest stays for the next receive.
   */
  private async receiveFromQueue(
    lane: string,
    topic: string,
    queueId: number,
    cursor: number,
    filter: TagFilter,
    max: number,
    invisibleMs: number,
    pass: Pass,
  ): Promise<void> {
    let from = cursor;
    let conflicts = 0;
    while (pass.messages.length < max && pass.budget > 0 && !pass.full) {
      const wanted = max - pass.messages.length;
      // Without a filter every message is taken: read exactly what is wanted (bodies can be 4 MiB).
      const limit = filter.expression === '*' ? wanted : Math.min(Math.max(wanted, FILTERED_READ_PAGE), pass.budget);
      const now = this.clock.now();
      const read = await this.store.readQueue(topic, queueId, from, limit, now);
      if (read.nextOffset === from) return;
      const batchId = `c${from}`;
      const leases: Lease[] = [];
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
          batchId,
          msgId: message.msgId,
          attempt: 1,
          visibleAt: now + invisibleMs,
          token: this.ids.token(),
        });
      }
      if (toOffset === from) {
        pass.full = bodiesFull;
        return;
      }
      const claimed = await this.store.claim({ consumer: lane, topic, queueId, fromOffset: from, toOffset, leases });
      if (!claimed) {
        // Another receiver of the lane claimed this range first: it hands those out. Go on from
        // where it left the cursor, so concurrent receivers on one busy queue don't come back
        // empty while messages are waiting.
        if (++conflicts > MAX_CLAIM_CONFLICTS) return;
        const moved = (await this.store.getCursors(lane, topic)).get(queueId);
        if (moved === undefined || moved <= from) return;
        from = moved;
        continue;
      }
      pass.progressed = true;
      pass.full = bodiesFull;
      pass.budget -= toOffset - from;
      delivered.forEach((message, j) => {
        hand(pass, toReceived(message, leases[j] as Lease));
      });
      // Fewer than asked for: the read reached the queue's end.
      if (read.messages.length < limit || pass.full) return;
      from = toOffset;
    }
  }

  /** A lane's cursors; queues it never consumed start where the group's subscription started. */
  private async cursorsFor(group: Group, lane: string, topic: string, queueCount: number) {
    let cursors = await this.store.getCursors(lane, topic);
    const ownLane = lane === group.name;
    if (ownLane && cursors.size >= queueCount) return cursors;
    // A broadcasting client's lane starts where the group's subscription starts, and never lags
    // it: when the group subscribed to the topic again, its clients skip what was sent meanwhile.
    const base = ownLane ? new Map<number, number>() : await this.store.getCursors(group.name, topic);
    let moved = false;
    for (const [queueId, start] of base) {
      const at = cursors.get(queueId);
      if (at === undefined || at >= start) continue;
      await this.store.claim({ consumer: lane, topic, queueId, fromOffset: at, toOffset: start, leases: [] });
      moved = true;
    }
    if (moved) cursors = await this.store.getCursors(lane, topic);
    if (cursors.size >= queueCount) return cursors;
    const heads = await this.store.queueOffsets(topic, queueCount);
    const missing = new Map<number, number>();
    for (const head of heads) {
      if (!cursors.has(head.queueId)) missing.set(head.queueId, base.get(head.queueId) ?? head.minOffset);
    }
    await this.store.initCursors(lane, topic, missing);
    return this.store.getCursors(lane, topic);
  }
}

/** The current turn of `key` (0 at first), moving it one step on. Bounded: a map of many lanes starts over. */
function nextTurn(turns: Map<string, number>, key: string): number {
  const turn = turns.get(key) ?? 0;
  if (turns.size > 10_000) turns.clear();
  turns.set(key, turn + 1);
  return turn;
}

/** The lane of a receive: the group itself, or one broadcasting client's own lane. */
export function laneOf(group: Group, clientId: string | undefined): string {
  if (group.consumeMode === 'CLUSTERING') return group.name;
  if (clientId === undefined) {
    throw new NimbusError('INVALID_CLIENT_ID', `Group "${group.name}" is BROADCASTING: receive needs a clientId.`);
  }
  assertClientId(clientId);
  return `${group.name}@${clientId}`;
}

function toReceived(message: StoredMessage, lease: Lease): ReceivedMessage {
  return {
    ...message,
    deliveryAttempt: lease.attempt,
    invisibleUntil: lease.visibleAt,
    receiptHandle: encodeReceiptHandle({ ...lease }),
  };
}

export function checkedInt(
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
  name: string,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new NimbusError('INVALID_ARGUMENT', `${name} must be an integer from ${min} to ${max}.`);
  }
  return value;
}
