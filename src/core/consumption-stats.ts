import type { Catalog } from './catalog.ts';
import type { Group, Topic } from './model.ts';
import type { Clock } from './ports/clock.ts';
import type { BrokerStore, DeadLetterPosition, HeldPosition, HoldKind, QueueOffsets } from './ports/store.ts';

export interface QueueBacklog {
  queueId: number;
  /** Messages past the consumer offset (those a tag filter skips count until a receive passes them). */
  ready: number;
  /** Leases held: delivered and not settled, or waiting for redelivery. */
  inFlight: number;
  /** The group's next offset (broadcasting: the lowest of its instances). */
  consumerOffset: number;
  /** The queue's next offset. */
  maxOffset: number;
}

export interface TopicBacklog {
  topic: string;
  ready: number;
  inFlight: number;
  /** Age of the oldest message not yet handed out; 0 when none is ready. */
  oldestReadyAgeMs: number;
  deadLetters: number;
  queues: QueueBacklog[];
  /** Broadcasting groups: each instance's figures. */
  clients?: { clientId: string; ready: number; inFlight: number }[];
}

export interface GroupStats {
  group: string;
  topics: TopicBacklog[];
}

export interface TopicStats {
  topic: string;
  queues: { queueId: number; minOffset: number; maxOffset: number; messageCount: number }[];
  /** Delayed messages waiting for their time. */
  scheduled: number;
  /** Half messages waiting for their transaction's decision. */
  halfMessages: number;
}

const PAGE = 1000;

/** Accumulation per group, topic and queue, and what a topic stores. */
export class ConsumptionStats {
  private readonly store: BrokerStore;
  private readonly catalog: Catalog;
  private readonly clock: Clock;

  constructor(store: BrokerStore, catalog: Catalog, clock: Clock) {
    this.store = store;
    this.catalog = catalog;
    this.clock = clock;
  }

  /**
   * A group's backlog on each subscribed topic; topic figures are sums over its queues.
   * @example
   * const { topics } = await stats.groupStats('billing');
   */
  async groupStats(groupName: string): Promise<GroupStats> {
    const group = await this.catalog.getGroup(groupName);
    const topics: TopicBacklog[] = [];
    const deadLetters = await this.deadLettersPerTopic(group.name);
    for (const subscription of group.subscriptions) {
      const topic = await this.catalog.findTopic(subscription.topic);
      if (!topic) continue;
      topics.push(await this.topicBacklog(group, topic, deadLetters.get(topic.name) ?? 0));
    }
    return { group: group.name, topics };
  }

  /**
   * Per queue: lowest and next offset and messages stored; plus held delayed and half messages.
   * @example
   * const { queues, scheduled } = await stats.topicStats('orders');
   */
  async topicStats(topicName: string): Promise<TopicStats> {
    const topic = await this.catalog.getTopic(topicName);
    const stored = await this.store.queueOffsets(topic.name, topic.queueCount);
    return {
      topic: topic.name,
      queues: stored.map((queue) => ({
        queueId: queue.queueId,
        minOffset: queue.minOffset,
        maxOffset: queue.nextOffset,
        messageCount: Math.max(0, queue.nextOffset - queue.minOffset),
      })),
      scheduled: topic.messageType === 'DELAY' ? await this.countHeld(topic.name, 'DELAY') : 0,
      halfMessages: topic.messageType === 'TRANSACTION' ? await this.countHeld(topic.name, 'TRANSACTION') : 0,
    };
  }

  private async topicBacklog(group: Group, topic: Topic, deadLetters: number): Promise<TopicBacklog> {
    const stored = await this.store.queueOffsets(topic.name, topic.queueCount);
    const broadcasting = group.consumeMode === 'BROADCASTING';
    const lanes = broadcasting
      ? (await this.store.listLanes(group.name, topic.name)).filter((lane) => lane !== group.name)
      : [group.name];
    const base = broadcasting ? await this.store.getCursors(group.name, topic.name) : new Map<number, number>();
    const queues: QueueBacklog[] = stored.map((queue) => ({
      queueId: queue.queueId,
      ready: 0,
      inFlight: 0,
      consumerOffset: broadcasting && lanes.length > 0 ? queue.nextOffset : start(queue, base),
      maxOffset: queue.nextOffset,
    }));
    const clients: { clientId: string; ready: number; inFlight: number }[] = [];
    for (const lane of lanes) {
      const [cursors, leases] = await Promise.all([
        this.store.getCursors(lane, topic.name),
        this.store.countLeases(lane, topic.name),
      ]);
      let ready = 0;
      let inFlight = 0;
      for (const queue of stored) {
        const figures = queues[queue.queueId] as QueueBacklog;
        const at = Math.max(cursors.get(queue.queueId) ?? start(queue, base), queue.minOffset);
        const held = leases.get(queue.queueId);
        // Parked messages sit behind the cursor but were never handed out: they are ready.
        const laneReady = Math.max(0, queue.nextOffset - at) + (held?.parked ?? 0);
        const laneInFlight = held?.inFlight ?? 0;
        figures.ready += laneReady;
        figures.inFlight += laneInFlight;
        figures.consumerOffset = broadcasting ? Math.min(figures.consumerOffset, at) : at;
        ready += laneReady;
        inFlight += laneInFlight;
      }
      if (broadcasting) clients.push({ clientId: lane.slice(group.name.length + 1), ready, inFlight });
    }
    return {
      topic: topic.name,
      ready: sum(queues, 'ready'),
      inFlight: sum(queues, 'inFlight'),
      oldestReadyAgeMs: await this.oldestReadyAge(topic.name, queues),
      deadLetters,
      queues,
      ...(broadcasting ? { clients } : {}),
    };
  }

  /** Reads the first ready message of each queue with a backlog: its store time gives the age. */
  private async oldestReadyAge(topic: string, queues: readonly QueueBacklog[]): Promise<number> {
    const now = this.clock.now();
    let oldest = now;
    for (const queue of queues) {
      if (queue.consumerOffset >= queue.maxOffset) continue;
      const read = await this.store.readQueue(topic, queue.queueId, queue.consumerOffset, 1, now);
      const first = read.messages[0];
      if (first) oldest = Math.min(oldest, first.storeTimestamp);
    }
    return Math.max(0, now - oldest);
  }

  private async deadLettersPerTopic(group: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let after: DeadLetterPosition | undefined;
    for (;;) {
      const page = await this.store.listDeadLetters(group, PAGE, after ? { after } : undefined);
      for (const letter of page) counts.set(letter.topic, (counts.get(letter.topic) ?? 0) + 1);
      const last = page.at(-1);
      if (!last || page.length < PAGE) return counts;
      after = last;
    }
  }

  private async countHeld(topic: string, kind: HoldKind): Promise<number> {
    const now = this.clock.now();
    let count = 0;
    let after: HeldPosition | undefined;
    for (;;) {
      const page = await this.store.listHeld(topic, kind, now, PAGE, after);
      count += page.length;
      const last = page.at(-1);
      if (!last || page.length < PAGE) return count;
      after = { dueAt: last.dueAt, msgId: last.message.msgId };
    }
  }
}

/** Where a lane without a cursor on a queue starts: the group's base cursor, or the queue's lowest offset. */
function start(queue: QueueOffsets, base: ReadonlyMap<number, number>): number {
  return Math.max(base.get(queue.queueId) ?? queue.minOffset, queue.minOffset);
}

function sum(queues: readonly QueueBacklog[], field: 'ready' | 'inFlight'): number {
  return queues.reduce((total, queue) => total + queue[field], 0);
}
