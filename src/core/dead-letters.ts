import type { Catalog } from './catalog.ts';
import { checkedInt } from './consumer.ts';
import { decodeDeadLetterCursor, encodeDeadLetterCursor } from './dead-letter-cursor.ts';
import type { DeadLetter, StoredMessage } from './model.ts';
import type { Clock, IdGenerator } from './ports/clock.ts';
import type { Notifier } from './ports/notifier.ts';
import type { BrokerStore } from './ports/store.ts';
import { redriveEvent } from './trace-emissions.ts';
import type { Tracer } from './tracer.ts';

/** The queue name RocketMQ gives a group's dead letters. */
export function deadLetterQueueName(group: string): string {
  return `%DLQ%${group}`;
}

export interface DeadLetterView extends DeadLetter {
  dlq: string;
  /** The message itself, while retention keeps it. */
  message?: StoredMessage;
}

/** Message bodies one page of dead letters carries at most, unless the caller sets less. */
const PAGE_BODY_BYTES = 16 * 1024 * 1024;
/** Letters whose messages are loaded at once. */
const LOAD_CHUNK = 8;

export interface DeadLetterViewPage {
  letters: DeadLetterView[];
  /** Present when more letters follow: the `after` of the next page. */
  nextToken?: string;
}

/** A group's dead-letter queue: list it, and redrive it (delivery attempts start over). */
export class DeadLetters {
  private readonly store: BrokerStore;
  private readonly catalog: Catalog;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly notifier: Notifier;
  private readonly tracer: Tracer | undefined;

  constructor(
    store: BrokerStore,
    catalog: Catalog,
    clock: Clock,
    ids: IdGenerator,
    notifier: Notifier,
    tracer?: Tracer,
  ) {
    this.store = store;
    this.catalog = catalog;
    this.clock = clock;
    this.ids = ids;
    this.notifier = notifier;
    this.tracer = tracer;
  }

  /**
   * Lists dead letters of a group, oldest first, with their messages.
   * @example
   * const letters = await deadLetters.list('billing', { limit: 100 });
   */
  async list(groupName: string, options: { limit?: number } = {}): Promise<DeadLetterView[]> {
    return (await this.page(groupName, options)).letters;
  }

  /**
   * One page of a group's dead letters, oldest first. `nextToken` is there when more
   * follow: pass it as `after` for the next page. Letters redriven between pages shift
   * nothing. A page ends early once its messages' bodies reach `maxBodyBytes` (at least one
   * letter always comes), so a response stays within what its transport can carry.
   * @example
   * let page = await deadLetters.page('billing', { limit: 500 });
   * while (page.nextToken) page = await deadLetters.page('billing', { limit: 500, after: page.nextToken });
   */
  async page(
    groupName: string,
    options: { limit?: number; after?: string; maxBodyBytes?: number } = {},
  ): Promise<DeadLetterViewPage> {
    await this.catalog.getGroup(groupName);
    const limit = checkedInt(options.limit, 100, 1, 1000, 'limit');
    const after = options.after === undefined ? undefined : decodeDeadLetterCursor(options.after);
    const maxBodyBytes = options.maxBodyBytes ?? PAGE_BODY_BYTES;
    // One more than asked tells whether another page follows, so the last page has no token.
    const found = await this.store.listDeadLetters(groupName, limit + 1, after ? { after } : undefined);
    const candidates = found.slice(0, limit);
    const letters: DeadLetterView[] = [];
    let bodyBytes = 0;
    const now = this.clock.now();
    // Bodies are loaded a few at a time: a page of 4 MiB bodies must not all sit in memory.
    for (let i = 0; i < candidates.length && letters.length === i; i += LOAD_CHUNK) {
      const chunk = candidates.slice(i, i + LOAD_CHUNK);
      const messages = await this.store.getMessages(chunk, now);
      for (const [j, letter] of chunk.entries()) {
        const size = messages[j]?.body.byteLength ?? 0;
        if (letters.length > 0 && bodyBytes + size > maxBodyBytes) break;
        bodyBytes += size;
        letters.push({ ...letter, dlq: deadLetterQueueName(groupName), message: messages[j] });
      }
    }
    const last = letters.at(-1);
    const more = letters.length < candidates.length || found.length > limit;
    return { letters, ...(more && last ? { nextToken: encodeDeadLetterCursor(last) } : {}) };
  }

  /**
   * Puts dead letters back into delivery for the lane that gave up on them, with attempts
   * reset: the oldest `limit` ones, or those of `msgIds` wherever they are in the DLQ.
   * Expired messages are dropped from the DLQ instead. Safe to run twice.
   * @example
   * const { redriven } = await deadLetters.redrive('billing', { msgIds: ['...'] });
   */
  async redrive(
    groupName: string,
    options: { msgIds?: readonly string[]; limit?: number } = {},
  ): Promise<{ redriven: number; expired: number }> {
    await this.catalog.getGroup(groupName);
    const limit = checkedInt(options.limit, 1000, 1, 1000, 'limit');
    const wanted = options.msgIds ? new Set(options.msgIds) : undefined;
    // The store searches the whole DLQ for named letters; filtering again keeps the rule exact.
    const filter = wanted ? { msgIds: [...wanted] } : undefined;
    const found = await this.store.listDeadLetters(groupName, limit, filter);
    const letters = wanted ? found.filter((letter) => wanted.has(letter.msgId)) : found;
    const now = this.clock.now();
    const messages = await this.store.getMessages(letters, now);
    let redriven = 0;
    let expired = 0;
    const topics = new Set<string>();
    for (const [i, letter] of letters.entries()) {
      const message = messages[i];
      const alive = message !== undefined;
      // A FIFO message keeps its message group: an orderly lane takes it back in its group's
      // offset order (after the group's delivery in flight), not as an unordered message.
      const messageGroup = message?.messageGroup;
      const lease = {
        consumer: letter.consumer,
        topic: letter.topic,
        queueId: letter.queueId,
        queueOffset: letter.queueOffset,
        msgId: letter.msgId,
        attempt: 0,
        // An expired message's lease is dropped on its first due read, never delivered.
        visibleAt: now,
        token: this.ids.token(),
        ...(messageGroup === undefined ? {} : { messageGroup }),
      };
      if (await this.store.redrive(letter, lease)) {
        if (alive) this.tracer?.emit(letter.topic, [redriveEvent(letter, now)]);
        if (alive) redriven++;
        else expired++;
        topics.add(letter.topic);
      }
    }
    for (const topic of topics) this.notifier.publish(topic);
    return { redriven, expired };
  }
}
