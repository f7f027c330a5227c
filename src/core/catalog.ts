import { NimbusError } from './errors.ts';
import { assertGroupName, assertTopicName, LIMITS } from './limits.ts';
import type { ConsumeMode, Group, MessageType, Subscription, Topic } from './model.ts';
import type { Clock } from './ports/clock.ts';
import type { BrokerStore } from './ports/store.ts';
import { RecentLookups } from './recent-lookups.ts';
import { parseTagExpression } from './tag-expression.ts';

export interface TopicInput {
  messageType?: MessageType;
  queueCount?: number;
  retentionHours?: number;
  /** Record each message's lifecycle trace (default true). */
  trace?: boolean;
}

export interface GroupInput {
  subscriptions: Subscription[];
  consumeMode?: ConsumeMode;
  maxDeliveryAttempts?: number;
  /** Orderly consumption of FIFO topics; fixed once the group exists. */
  orderly?: boolean;
}

const HOUR_MS = 3_600_000;

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** How long a process trusts its cached topic/group records; other processes' changes show after this. */
const CACHE_MS = 2_000;

/**
 * Topics and consumer groups. Reads are cached briefly because every send and receive
 * needs them; writes through this service refresh the cache at once.
 */
export class Catalog {
  private readonly topics = new RecentLookups<Topic>(CACHE_MS);
  private readonly groups = new RecentLookups<Group>(CACHE_MS);

  private readonly store: BrokerStore;
  private readonly clock: Clock;

  constructor(store: BrokerStore, clock: Clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * Creates a topic, or updates an existing one: fields left out keep their current values
   * (a new topic takes the defaults); retention may change, the type and queue count may not.
   * PUT semantics: idempotent.
   * @example
   * await catalog.putTopic('orders', { queueCount: 4 });
   * await catalog.putTopic('orders', { retentionHours: 48 }); // keeps the 4 queues
   */
  async putTopic(name: string, input: TopicInput): Promise<Topic> {
    assertTopicName(name);
    const { queueCount, retentionHours } = input;
    if (queueCount !== undefined && !isIntegerIn(queueCount, 1, LIMITS.maxQueueCount)) {
      throw new NimbusError('INVALID_ARGUMENT', `queueCount must be an integer from 1 to ${LIMITS.maxQueueCount}.`);
    }
    const minHours = LIMITS.minRetentionMs / HOUR_MS;
    const maxHours = LIMITS.maxRetentionMs / HOUR_MS;
    if (retentionHours !== undefined && !isIntegerIn(retentionHours, minHours, maxHours)) {
      throw new NimbusError('INVALID_ARGUMENT', `retentionHours must be an integer from ${minHours} to ${maxHours}.`);
    }
    const existing = await this.store.getTopic(name);
    const messageType = input.messageType ?? existing?.messageType ?? 'NORMAL';
    const queues = queueCount ?? existing?.queueCount ?? LIMITS.defaultQueueCount;
    if (existing && (existing.messageType !== messageType || existing.queueCount !== queues)) {
      throw new NimbusError(
        'TOPIC_CONFLICT',
        `Topic "${name}" exists as ${existing.messageType} with ${existing.queueCount} queues; delete it to change type or queue count.`,
      );
    }
    const topic: Topic = {
      name,
      messageType,
      queueCount: queues,
      retentionMs:
        retentionHours === undefined ? (existing?.retentionMs ?? LIMITS.maxRetentionMs) : retentionHours * HOUR_MS,
      ...((input.trace ?? existing?.trace ?? true) ? {} : { trace: false }),
      createdAt: existing?.createdAt ?? this.clock.now(),
    };
    if (!existing || existing.retentionMs !== topic.retentionMs || existing.trace !== topic.trace) {
      await this.store.saveTopic(topic);
    }
    this.topics.remember(name, topic, this.clock.now());
    return topic;
  }

  /** The topic; a name that breaks the naming rules is INVALID_TOPIC_NAME, not TOPIC_NOT_FOUND. */
  async getTopic(name: string): Promise<Topic> {
    assertTopicName(name);
    const topic = await this.findTopic(name);
    if (!topic) throw new NimbusError('TOPIC_NOT_FOUND', `Topic "${name}" does not exist.`);
    return topic;
  }

  /** Cached lookup; `undefined` when the topic does not exist. */
  async findTopic(name: string): Promise<Topic | undefined> {
    const cached = this.topics.trusted(name, this.clock.now());
    if (cached) return cached.value;
    const value = await this.store.getTopic(name);
    this.topics.remember(name, value, this.clock.now());
    return value;
  }

  listTopics(): Promise<Topic[]> {
    return this.store.listTopics();
  }

  async deleteTopic(name: string): Promise<void> {
    assertTopicName(name);
    const deleted = await this.store.deleteTopic(name);
    this.topics.forget(name);
    if (!deleted) throw new NimbusError('TOPIC_NOT_FOUND', `Topic "${name}" does not exist.`);
  }

  /**
   * Creates or updates a consumer group. The subscriptions replace the current ones; the
   * consume mode and delivery attempts left out keep their current values (a new group takes
   * the defaults). New subscriptions start at the topic's current end: the group receives
   * messages sent after it subscribed.
   * @example
   * await catalog.putGroup('billing', { subscriptions: [{ topic: 'orders', tagExpression: 'paid || refunded' }] });
   */
  async putGroup(name: string, input: GroupInput): Promise<Group> {
    assertGroupName(name);
    const { maxDeliveryAttempts } = input;
    if (maxDeliveryAttempts !== undefined && !isIntegerIn(maxDeliveryAttempts, 1, LIMITS.maxMaxDeliveryAttempts)) {
      throw new NimbusError(
        'INVALID_ARGUMENT',
        `maxDeliveryAttempts must be an integer from 1 to ${LIMITS.maxMaxDeliveryAttempts}.`,
      );
    }
    if (input.subscriptions.length > LIMITS.maxSubscriptions) {
      throw new NimbusError('INVALID_ARGUMENT', `A group has at most ${LIMITS.maxSubscriptions} subscriptions.`);
    }
    const byTopic = new Map<string, Subscription>();
    for (const sub of input.subscriptions) {
      assertTopicName(sub.topic);
      const filter = parseTagExpression(sub.tagExpression ?? '*');
      if (byTopic.has(sub.topic)) {
        throw new NimbusError('INVALID_ARGUMENT', `Topic "${sub.topic}" is subscribed twice.`);
      }
      byTopic.set(sub.topic, { topic: sub.topic, tagExpression: filter.expression });
    }
    const topics = await Promise.all([...byTopic.keys()].map((topic) => this.getTopic(topic)));
    const existing = await this.store.getGroup(name);
    const consumeMode = input.consumeMode ?? existing?.consumeMode ?? 'CLUSTERING';
    if (existing && existing.consumeMode !== consumeMode) {
      throw new NimbusError(
        'GROUP_CONFLICT',
        `Group "${name}" is ${existing.consumeMode}; delete it to change the consume mode.`,
      );
    }
    const orderly = input.orderly ?? existing?.orderly ?? false;
    if (existing && (existing.orderly ?? false) !== orderly) {
      throw new NimbusError(
        'GROUP_CONFLICT',
        `Group "${name}" is ${orderly ? 'not ' : ''}orderly; delete it to change that.`,
      );
    }
    const subscribedBefore = new Set(existing?.subscriptions.map((sub) => sub.topic));
    for (const topic of topics) {
      if (!subscribedBefore.has(topic.name)) await this.startAtEnd(name, topic);
    }
    const group: Group = {
      name,
      subscriptions: [...byTopic.values()],
      consumeMode,
      maxDeliveryAttempts: maxDeliveryAttempts ?? existing?.maxDeliveryAttempts ?? LIMITS.defaultMaxDeliveryAttempts,
      ...(orderly ? { orderly } : {}),
      createdAt: existing?.createdAt ?? this.clock.now(),
    };
    await this.store.saveGroup(group);
    this.groups.remember(name, group, this.clock.now());
    return group;
  }

  /**
   * Puts the group's cursors on a topic at its current end. Cursors left from an earlier
   * subscription to the topic move forward too: messages sent while the group was not
   * subscribed are not delivered. (Broadcasting clients never lag these cursors.)
   */
  private async startAtEnd(group: string, topic: Topic): Promise<void> {
    const heads = await this.store.queueOffsets(topic.name, topic.queueCount);
    const cursors = await this.store.getCursors(group, topic.name);
    const missing = new Map<number, number>();
    for (const head of heads) {
      const cursor = cursors.get(head.queueId);
      if (cursor === undefined) missing.set(head.queueId, head.nextOffset);
      else if (cursor < head.nextOffset) {
        // Conditional on the cursor we read; if a receiver moved it meanwhile, it is consuming already.
        await this.store.claim({
          consumer: group,
          topic: topic.name,
          queueId: head.queueId,
          fromOffset: cursor,
          toOffset: head.nextOffset,
          leases: [],
        });
      }
    }
    await this.store.initCursors(group, topic.name, missing);
  }

  /** The group; a name that breaks the naming rules is INVALID_GROUP_NAME, not GROUP_NOT_FOUND. */
  async getGroup(name: string): Promise<Group> {
    assertGroupName(name);
    const cached = this.groups.trusted(name, this.clock.now());
    let group: Group | undefined;
    if (cached) {
      group = cached.value;
    } else {
      group = await this.store.getGroup(name);
      this.groups.remember(name, group, this.clock.now());
    }
    if (!group) throw new NimbusError('GROUP_NOT_FOUND', `Consumer group "${name}" does not exist.`);
    return group;
  }

  listGroups(): Promise<Group[]> {
    return this.store.listGroups();
  }

  async deleteGroup(name: string): Promise<void> {
    assertGroupName(name);
    const deleted = await this.store.deleteGroup(name);
    this.groups.forget(name);
    if (!deleted) throw new NimbusError('GROUP_NOT_FOUND', `Consumer group "${name}" does not exist.`);
  }
}
