import type { Catalog } from './catalog.ts';
import { checkedInt } from './consumer.ts';
import { NimbusError } from './errors.ts';
import type { StoredMessage, Topic } from './model.ts';
import type { Clock } from './ports/clock.ts';
import type { BrokerStore, HeldMessage, TraceSubject } from './ports/store.ts';
import { decodeQueryCursor, encodeQueryCursor, type QueryPosition } from './query-cursor.ts';
import { msgIdSubject, positionSubject, type TraceEvent } from './trace-event.ts';
import type { Tracer } from './tracer.ts';

/** A message found by a query: stored in its queue, or still held (no position yet). */
export interface MessageInfo extends Omit<StoredMessage, 'queueId' | 'queueOffset' | 'expireAt'> {
  queueId?: number;
  queueOffset?: number;
  /** Transactional messages: PREPARED (half), COMMITTED or ROLLED_BACK. */
  transactionState?: 'PREPARED' | 'COMMITTED' | 'ROLLED_BACK';
  /** Delayed messages not yet in their queue: SCHEDULED or CANCELLED. */
  scheduleState?: 'SCHEDULED' | 'CANCELLED';
}

export interface MessageQuery {
  key?: string;
  startTime?: number;
  endTime?: number;
  limit?: number;
  nextToken?: string;
}

export interface MessagePage {
  messages: StoredMessage[];
  nextToken?: string;
}

/** Messages read at once while scanning a queue over a time range. */
const TIME_SCAN_PAGE = 256;
const MSG_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Query of messages by msgId, by key and by time range, and their lifecycle trace. */
export class MessageQueries {
  private readonly store: BrokerStore;
  private readonly catalog: Catalog;
  private readonly clock: Clock;
  private readonly tracer: Tracer;

  constructor(store: BrokerStore, catalog: Catalog, clock: Clock, tracer: Tracer) {
    this.store = store;
    this.catalog = catalog;
    this.clock = clock;
    this.tracer = tracer;
  }

  /**
   * The message with this msgId: stored in a queue, or held (delayed, half). Unknown or
   * expired: MESSAGE_NOT_FOUND.
   * @example
   * const message = await queries.getMessage('0000018C2F1A2B3C4D5E6F7081920A1B');
   */
  async getMessage(msgId: string): Promise<MessageInfo> {
    const now = this.clock.now();
    if (MSG_ID.test(msgId)) {
      const stored = await this.store.findMessage(msgId, now);
      if (stored) return this.describeStored(stored);
      const held = await this.findHeld(msgId, now);
      if (held?.state === 'RELEASED' && held.queueOffset !== undefined) {
        // Released into its queue at a later store time than its msgId names: look it up there.
        const { topic, queueId } = held.message;
        const [released] = await this.store.getMessages([{ topic, queueId, queueOffset: held.queueOffset }], now);
        if (released) return this.describeStored(released);
      } else if (held) return describeHeld(held);
    }
    throw new NimbusError('MESSAGE_NOT_FOUND', `No message ${msgId.slice(0, 80)} is stored (or it expired).`);
  }

  /**
   * A topic's messages with a key, or stored within a time range, a page at a time. Key
   * matches come oldest first; a time range comes queue by queue in offset order.
   * @example
   * let page = await queries.queryMessages('orders', { key: 'order-42' });
   * if (page.nextToken) page = await queries.queryMessages('orders', { key: 'order-42', nextToken: page.nextToken });
   */
  async queryMessages(topicName: string, query: MessageQuery): Promise<MessagePage> {
    const topic = await this.catalog.getTopic(topicName);
    const limit = checkedInt(query.limit, 100, 1, 1000, 'limit');
    const now = this.clock.now();
    if (query.key !== undefined) {
      const after = query.nextToken ? decodeQueryCursor(query.nextToken, 'key') : undefined;
      const messages = await this.store.findByKey(
        topic.name,
        query.key,
        limit,
        now,
        after?.kind === 'key' ? after.after : undefined,
      );
      const last = messages.at(-1);
      return messages.length === limit && last
        ? { messages, nextToken: encodeQueryCursor({ kind: 'key', after: last }) }
        : { messages };
    }
    if (query.startTime === undefined) {
      throw new NimbusError('INVALID_ARGUMENT', 'A query names a key, or a time range with startTime (and endTime).');
    }
    const endTime = query.endTime ?? now;
    if (endTime < query.startTime) throw new NimbusError('INVALID_ARGUMENT', 'endTime is before startTime.');
    const from = query.nextToken ? decodeQueryCursor(query.nextToken, 'time') : undefined;
    return this.scanTime(topic, query.startTime, endTime, limit, now, from);
  }

  /**
   * The lifecycle of a message, oldest event first. Unknown or expired: MESSAGE_NOT_FOUND.
   * @example
   * const { events } = await queries.traceMessage(msgId); // SENT, DELIVERED, ACKED, ...
   */
  async traceMessage(msgId: string): Promise<{ msgId: string; events: TraceEvent[] }> {
    const message = await this.getMessage(msgId);
    const subjects: TraceSubject[] = [msgIdSubject(msgId)];
    if (message.queueId !== undefined && message.queueOffset !== undefined) {
      subjects.push(positionSubject(message.topic, message.queueId, message.queueOffset));
    }
    const events = onceEach(await this.tracer.read(subjects));
    // The stored message is its own record of the send (no trace write on the send path);
    // delayed and half messages were sent when they were held (SCHEDULED, PREPARED).
    const held = events.some((event) => event.type === 'SCHEDULED' || event.type === 'PREPARED');
    if (!held && message.queueId !== undefined && message.queueOffset !== undefined) {
      events.unshift(sentEvent(message, message.queueId, message.queueOffset));
    }
    return { msgId, events };
  }

  private async scanTime(
    topic: Topic,
    startTime: number,
    endTime: number,
    limit: number,
    now: number,
    from: QueryPosition | undefined,
  ): Promise<MessagePage> {
    const messages: StoredMessage[] = [];
    let queueId = from?.kind === 'time' ? from.queueId : 0;
    let offset = from?.kind === 'time' ? from.offset : undefined;
    for (; queueId < topic.queueCount; queueId++, offset = undefined) {
      offset ??= await this.store.offsetForTime(topic.name, queueId, startTime);
      for (;;) {
        const read = await this.store.readQueue(topic.name, queueId, offset, TIME_SCAN_PAGE, now);
        let passedEnd = false;
        for (const message of read.messages) {
          if (message.storeTimestamp > endTime) {
            passedEnd = true;
            break;
          }
          if (message.storeTimestamp < startTime) continue;
          if (messages.length === limit) {
            return { messages, nextToken: encodeQueryCursor({ kind: 'time', queueId, offset: message.queueOffset }) };
          }
          messages.push(message);
        }
        if (passedEnd || read.nextOffset <= offset) break;
        offset = read.nextOffset;
      }
    }
    return { messages };
  }

  private async describeStored(message: StoredMessage): Promise<MessageInfo> {
    const { expireAt: _expireAt, ...rest } = message;
    const topic = await this.catalog.findTopic(message.topic);
    return topic?.messageType === 'TRANSACTION' ? { ...rest, transactionState: 'COMMITTED' } : rest;
  }

  /** Held messages are kept per topic: look in every topic that holds messages. */
  private async findHeld(msgId: string, now: number): Promise<HeldMessage | undefined> {
    for (const topic of await this.catalog.listTopics()) {
      if (topic.messageType !== 'DELAY' && topic.messageType !== 'TRANSACTION') continue;
      const held = await this.store.getHeld(topic.name, msgId, now);
      if (held) return held;
    }
    return undefined;
  }
}

function describeHeld(held: HeldMessage): MessageInfo {
  const { expireAt: _expireAt, queueId: _queueId, ...rest } = held.message;
  if (held.kind === 'TRANSACTION') {
    return { ...rest, transactionState: held.state === 'HELD' ? 'PREPARED' : 'ROLLED_BACK' };
  }
  return { ...rest, deliverAt: held.dueAt, scheduleState: held.state === 'HELD' ? 'SCHEDULED' : 'CANCELLED' };
}

/** What happens to a held message at most once; a retried commit or rollback records it again, and it counts once. */
const ONCE_PER_MESSAGE = new Set<TraceEvent['type']>([
  'PREPARED',
  'SCHEDULED',
  'COMMITTED',
  'ROLLED_BACK',
  'CANCELLED',
  'RELEASED',
]);

/** The events oldest first, with only the first of each once-per-message type. */
function onceEach(events: readonly TraceEvent[]): TraceEvent[] {
  const seen = new Set<TraceEvent['type']>();
  return events.filter((event) => {
    if (!ONCE_PER_MESSAGE.has(event.type)) return true;
    if (seen.has(event.type)) return false;
    seen.add(event.type);
    return true;
  });
}

function sentEvent(message: MessageInfo, queueId: number, queueOffset: number): TraceEvent {
  return {
    type: 'SENT',
    time: message.storeTimestamp,
    queueId,
    queueOffset,
    ...(message.producerGroup === undefined ? {} : { group: message.producerGroup }),
    ...(message.bornHost === undefined ? {} : { host: message.bornHost }),
  };
}
