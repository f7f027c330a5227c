import type { Catalog } from './catalog.ts';
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
  signal?: AbortSignal;
}

/** Upper bound on a long-poll sleep between store checks when no signal arrives. */
const POLL_INTERVAL_MS = 1_000;

/**
 * Hands messages to consumers. A lane (the group, or `group@clientId` when
 * broadcasting) first gets its due redeliveries, then new messages from its cursors.
 */
export class Consumer {
  private rotation = 0;

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
    const group = await this.catalog.getGroup(groupName);
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
    const topics = group.subscriptions.map((sub) => sub.topic);
    for (;;) {
      const messages = await this.receiveOnce(group, lane, max, invisibleMs);
      const remaining = deadline - this.clock.now();
      if (messages.length > 0 || remaining <= 0 || options.signal?.aborted) return messages;
      const nextDue = await this.store.nextLeaseVisibleAt(lane);
      const untilDue = nextDue === undefined ? remaining : Math.max(nextDue - this.clock.now(), 1);
      await this.notifier.wait(topics, Math.min(remaining, untilDue, this.pollIntervalMs), options.signal);
    }
  }

  private async receiveOnce(group: Group, lane: string, max: number, invisibleMs: number) {
    const out = await this.redeliver(group, lane, max, invisibleMs);
    const subs = group.subscriptions;
    const start = this.rotation++;
    for (let i = 0; i < subs.length && out.length < max; i++) {
      const sub = subs[(start + i) % subs.length];
      if (!sub) continue;
      await this.receiveNew(group, lane, sub.topic, parseTagExpression(sub.tagExpression), max, invisibleMs, out);
    }
    return out;
  }

  /** Due leases: unacked messages whose invisible time passed, or nacked ones whose delay passed. */
  private async redeliver(group: Group, lane: string, max: number, invisibleMs: number) {
    const out: ReceivedMessage[] = [];
    const now = this.clock.now();
    const due = await this.store.dueLeases(lane, now, max);
    if (due.length === 0) return out;
    const messages = await this.store.getMessages(due, now);
    for (const [i, lease] of due.entries()) {
      const message = messages[i];
      if (!message) {
        // Expired by retention while waiting for redelivery: never deliver it.
        await this.store.deleteLeases([{ key: lease, token: lease.token }]);
        continue;
      }
      if (lease.attempt >= group.maxDeliveryAttempts) {
        await this.store.deadLetter(lease, lease.token, {
          group: group.name,
          consumer: lane,
          topic: lease.topic,
          queueId: lease.queueId,
          queueOffset: lease.queueOffset,
          msgId: lease.msgId,
          deliveryAttempts: lease.attempt,
          deadAt: now,
          reason: `not acknowledged after ${lease.attempt} delivery attempts`,
        });
        continue;
      }
      const update = { attempt: lease.attempt + 1, visibleAt: now + invisibleMs, token: this.ids.token() };
      if (await this.store.updateLease(lease, lease.token, update)) {
        out.push(toReceived(message, { ...lease, ...update }));
      }
    }
    return out;
  }

  private async receiveNew(
    group: Group,
    lane: string,
    topicName: string,
    filter: TagFilter,
    max: number,
    invisibleMs: number,
    out: ReceivedMessage[],
  ): Promise<void> {
    const topic = await this.catalog.findTopic(topicName);
    if (!topic) return;
    const cursors = await this.cursorsFor(group, lane, topic.name, topic.queueCount);
    const start = this.rotation++;
    for (let i = 0; i < topic.queueCount && out.length < max; i++) {
      const queueId = (start + i) % topic.queueCount;
      const from = cursors.get(queueId) ?? 0;
      const now = this.clock.now();
      const read = await this.store.readQueue(topic.name, queueId, from, max - out.length, now);
      if (read.nextOffset === from) continue;
      const batchId = `c${from}`;
      const leases: Lease[] = [];
      const delivered: StoredMessage[] = [];
      for (const message of read.messages) {
        if (!filter.matches(message.tag)) continue;
        delivered.push(message);
        leases.push({
          consumer: lane,
          topic: topic.name,
          queueId,
          queueOffset: message.queueOffset,
          batchId,
          msgId: message.msgId,
          attempt: 1,
          visibleAt: now + invisibleMs,
          token: this.ids.token(),
        });
      }
      const claimed = await this.store.claim({
        consumer: lane,
        topic: topic.name,
        queueId,
        fromOffset: from,
        toOffset: read.nextOffset,
        leases,
      });
      // Lost the race for this range to another receiver: it hands these out, we move on.
      if (!claimed) continue;
      delivered.forEach((message, j) => {
        out.push(toReceived(message, leases[j] as Lease));
      });
    }
  }

  /** A lane's cursors; queues it never consumed start where the group's subscription started. */
  private async cursorsFor(group: Group, lane: string, topic: string, queueCount: number) {
    const cursors = await this.store.getCursors(lane, topic);
    if (cursors.size >= queueCount) return cursors;
    const base = lane === group.name ? new Map<number, number>() : await this.store.getCursors(group.name, topic);
    const heads = await this.store.queueOffsets(topic, queueCount);
    const missing = new Map<number, number>();
    for (const head of heads) {
      if (!cursors.has(head.queueId)) missing.set(head.queueId, base.get(head.queueId) ?? head.minOffset);
    }
    await this.store.initCursors(lane, topic, missing);
    return this.store.getCursors(lane, topic);
  }
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
