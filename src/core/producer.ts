import type { Catalog } from './catalog.ts';
import { dueTime } from './delay.ts';
import { NimbusError } from './errors.ts';
import { appendFifo, assertMessageGroup, fifoQueueOf } from './fifo-send.ts';
import { assertBody, assertGroupName, assertMessageMeta, assertTopicName, LIMITS } from './limits.ts';
import type { MessageToAppend, SendResult, Topic } from './model.ts';
import type { Clock, IdGenerator } from './ports/clock.ts';
import type { Notifier } from './ports/notifier.ts';
import type { BrokerStore } from './ports/store.ts';
import type { ScheduledMessages } from './scheduled-messages.ts';
import type { Transactions } from './transactions.ts';
import { setTurn } from './turns.ts';

/** One message as a producer hands it over (the body already decoded to bytes). */
export interface OutgoingMessage {
  body: Uint8Array;
  tag?: string;
  keys?: string[];
  properties?: Record<string, string>;
  /** Idempotency key: a repeat within retention returns the first result. */
  messageId?: string;
  /** Ordered topics: the sharding key. */
  messageGroup?: string;
  /** Delayed topics: epoch ms of delivery, or a delay from now. */
  deliverAt?: number;
  delayMs?: number;
  producerGroup?: string;
  bornHost?: string;
  bornTimestamp?: number;
}

/** Sends messages: validates everything first (no half-writes), picks queues, appends. */
export class Producer {
  private readonly nextQueue = new Map<string, number>();

  private readonly store: BrokerStore;
  private readonly catalog: Catalog;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly notifier: Notifier;
  private readonly scheduled: ScheduledMessages;
  private readonly transactions: Transactions;

  constructor(deps: {
    store: BrokerStore;
    catalog: Catalog;
    clock: Clock;
    ids: IdGenerator;
    notifier: Notifier;
    scheduled: ScheduledMessages;
    transactions: Transactions;
  }) {
    this.store = deps.store;
    this.catalog = deps.catalog;
    this.clock = deps.clock;
    this.ids = deps.ids;
    this.notifier = deps.notifier;
    this.scheduled = deps.scheduled;
    this.transactions = deps.transactions;
  }

  /**
   * Sends one or more messages to a topic; resolves once they are durably stored.
   * @example
   * const [result] = await producer.send('orders', [{ body: new TextEncoder().encode('hi'), tag: 'created' }]);
   */
  async send(topicName: string, outgoing: readonly OutgoingMessage[]): Promise<SendResult[]> {
    // A key named twice indexes the message once, on every store alike.
    const messages = outgoing.map((message) =>
      message.keys && new Set(message.keys).size < message.keys.length
        ? { ...message, keys: [...new Set(message.keys)] }
        : message,
    );
    assertTopicName(topicName);
    if (messages.length === 0) throw new NimbusError('INVALID_ARGUMENT', 'A send carries at least one message.');
    if (messages.length > LIMITS.maxBatchMessages) {
      throw new NimbusError(
        'BATCH_TOO_LARGE',
        `A batch holds at most ${LIMITS.maxBatchMessages} messages (got ${messages.length}).`,
      );
    }
    const topic = await this.catalog.getTopic(topicName);
    const producerGroup = this.transactionGroup(topic, messages);
    const now = this.clock.now();
    let total = 0;
    const dueTimes: (number | undefined)[] = [];
    for (const message of messages) {
      dueTimes.push(this.validate(topic, message, now));
      total += message.body.byteLength;
    }
    if (total > LIMITS.maxBatchBytes) {
      throw new NimbusError('BATCH_TOO_LARGE', `A batch's bodies total at most ${LIMITS.maxBatchBytes} bytes.`);
    }
    // A batch goes to one queue, as in RocketMQ: it lands as one write with one offset reservation.
    // On FIFO topics each message group has its queue: a batch is split per queue (see appendFifo).
    const queueId = this.pickQueue(topic);
    const records = messages.map((message, i) =>
      this.toRecord(topic, message, now, fifoQueueOf(topic, message) ?? queueId, dueTimes[i]),
    );
    if (topic.messageType === 'DELAY') return this.scheduled.hold(records);
    if (producerGroup !== undefined) return this.transactions.hold(records, producerGroup);
    const appended =
      topic.messageType === 'FIFO' ? await appendFifo(this.store, records) : await this.store.append(records);
    this.notifier.publish(topic.name);
    return appended.map(({ message, duplicate }) => ({
      msgId: message.msgId,
      topic: message.topic,
      queueId: message.queueId,
      queueOffset: message.queueOffset,
      duplicate,
    }));
  }

  /**
   * The producer group of a send to a TRANSACTION topic: required, and one for the whole
   * batch (each message still gets its own transaction). Undefined for other topics.
   */
  private transactionGroup(topic: Topic, messages: readonly OutgoingMessage[]): string | undefined {
    if (topic.messageType !== 'TRANSACTION') return undefined;
    const groups = new Set(messages.map((message) => message.producerGroup));
    const [group] = groups;
    if (group === undefined || groups.size > 1) {
      throw new NimbusError(
        'PRODUCER_GROUP_REQUIRED',
        `Topic "${topic.name}" is TRANSACTION: every message names the same registered producerGroup.`,
      );
    }
    assertGroupName(group);
    return group;
  }

  /** Checks one message against its topic's type; for a DELAY topic, returns when it is due. */
  private validate(topic: Topic, message: OutgoingMessage, now: number): number | undefined {
    const held = topic.messageType === 'DELAY' || topic.messageType === 'TRANSACTION';
    assertBody(message.body, held ? LIMITS.maxDelayedBodyBytes : LIMITS.maxBodyBytes);
    assertMessageMeta({
      tag: message.tag,
      keys: message.keys ?? [],
      properties: message.properties ?? {},
      messageId: message.messageId,
    });
    const delayed = message.deliverAt !== undefined || message.delayMs !== undefined;
    if (topic.messageType === 'DELAY') {
      if (message.messageGroup !== undefined) {
        throw new NimbusError(
          'MESSAGE_TYPE_MISMATCH',
          `Topic "${topic.name}" is DELAY: messageGroup needs a FIFO topic.`,
        );
      }
      return dueTime(message, now);
    }
    if (delayed) {
      throw new NimbusError(
        'MESSAGE_TYPE_MISMATCH',
        `Topic "${topic.name}" is ${topic.messageType}: deliverAt and delayMs need a DELAY topic.`,
      );
    }
    if (topic.messageType === 'NORMAL' || topic.messageType === 'TRANSACTION') {
      if (message.messageGroup !== undefined) {
        throw new NimbusError(
          'MESSAGE_TYPE_MISMATCH',
          `Topic "${topic.name}" is ${topic.messageType}: messageGroup needs a FIFO topic.`,
        );
      }
      return undefined;
    }
    assertMessageGroup(topic.name, message.messageGroup);
    return undefined;
  }

  private toRecord(
    topic: Topic,
    message: OutgoingMessage,
    now: number,
    queueId: number,
    deliverAt: number | undefined,
  ): MessageToAppend {
    return {
      msgId: this.ids.messageId(now),
      topic: topic.name,
      queueId,
      body: message.body,
      tag: message.tag,
      keys: message.keys ?? [],
      properties: message.properties ?? {},
      bornTimestamp: message.bornTimestamp ?? now,
      storeTimestamp: now,
      // Retention counts from when the message becomes visible.
      expireAt: (deliverAt ?? now) + topic.retentionMs,
      ...(deliverAt === undefined ? {} : { deliverAt }),
      messageId: message.messageId,
      ...(message.messageGroup === undefined ? {} : { messageGroup: message.messageGroup }),
      producerGroup: message.producerGroup,
      bornHost: message.bornHost,
    };
  }

  /**
   * Round-robin over the topic's queues per send call, so queues (partitions) fill evenly.
   * Bounded like the consumers' turns: turns of topics long deleted must not pile up.
   */
  private pickQueue(topic: Topic): number {
    const next = this.nextQueue.get(topic.name) ?? 0;
    setTurn(this.nextQueue, topic.name, (next + 1) % topic.queueCount);
    return next % topic.queueCount;
  }
}
