import type { Catalog } from './catalog.ts';
import { checkedInt } from './consumer.ts';
import { NimbusError } from './errors.ts';
import { decodeHeldCursor, encodeHeldCursor } from './held-cursor.ts';
import { assertTopicName } from './limits.ts';
import type { MessageToAppend, SendResult, Topic } from './model.ts';
import type { Clock } from './ports/clock.ts';
import type { Notifier } from './ports/notifier.ts';
import type { BrokerStore, HeldMessage } from './ports/store.ts';
import type { ReleaseScheduler } from './ports/timers.ts';
import { msgIdSubject } from './trace-event.ts';
import type { Tracer } from './tracer.ts';

/** A pending delayed message as listings show it: no body, only its size. */
export interface ScheduledView {
  msgId: string;
  deliverAt: number;
  tag?: string;
  keys: string[];
  bodySize: number;
}

export interface ScheduledPage {
  scheduled: ScheduledView[];
  nextToken?: string;
}

export interface ReleaseReport {
  released: number;
  /** When the next held message falls due, if any: a driver's next run. */
  nextDueAt?: number;
}

/** What a msgId can look like; anything else names no message (and never reaches a store key). */
const MSG_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Clock skew between processes the release fence tolerates (see `belongsTo`). */
const FENCE_SKEW_MS = 30_000;

/** Due messages released per round, several at a time so a burst shares commits. */
const RELEASE_PAGE = 256;
const RELEASE_PARALLEL = 32;

/**
 * Delayed and scheduled messages (RocketMQ 5 timer messages, up to 40 days): held out of
 * every queue until due, then released into their queue exactly once, where they get their
 * offset. Releases are driven by `releaseDue`, which drivers call on time: an in-process
 * timer in embedded mode, SQS delays and EventBridge Scheduler on AWS.
 */
export class ScheduledMessages {
  private readonly store: BrokerStore;
  private readonly catalog: Catalog;
  private readonly clock: Clock;
  private readonly notifier: Notifier;
  private readonly scheduler: ReleaseScheduler | undefined;
  private readonly tracer: Tracer | undefined;

  constructor(deps: {
    store: BrokerStore;
    catalog: Catalog;
    clock: Clock;
    notifier: Notifier;
    scheduler?: ReleaseScheduler;
    tracer?: Tracer;
  }) {
    this.store = deps.store;
    this.catalog = deps.catalog;
    this.clock = deps.clock;
    this.notifier = deps.notifier;
    this.scheduler = deps.scheduler;
    this.tracer = deps.tracer;
  }

  /**
   * Holds validated messages of a DELAY topic until their `deliverAt`; those already due
   * are released before this resolves, so they are visible when the send answers.
   * @example
   * const [result] = await scheduled.hold([{ ...record, deliverAt: Date.now() + 60_000 }]);
   */
  async hold(records: readonly MessageToAppend[]): Promise<SendResult[]> {
    const now = this.clock.now();
    const results = await this.store.hold(
      records.map((message) => ({ kind: 'DELAY', message, dueAt: message.deliverAt ?? now })),
    );
    // Duplicates still HELD count too: a retry after a send whose release failed must not
    // leave its message waiting for the driver's safety-net run.
    const fresh = results.filter((result) => !result.duplicate).map((result) => result.held);
    this.traceHeld(fresh, 'SCHEDULED', now);
    const pending = results.filter((result) => result.held.state === 'HELD');
    const due = pending.filter((result) => result.held.dueAt <= now).map((result) => result.held);
    const later = pending.filter((result) => result.held.dueAt > now).map((result) => result.held);
    if (due.length > 0) {
      try {
        await this.releaseAll(due);
      } catch {
        // Held durably, so the send succeeded: the driver releases them at once instead. (An
        // error here would make a client without a messageId send the message twice.)
        await this.wake(due);
      }
    }
    if (later.length > 0) await this.wake(later);
    return results.map(({ held, duplicate }) => ({
      msgId: held.message.msgId,
      topic: held.message.topic,
      deliverAt: held.dueAt,
      duplicate,
    }));
  }

  /**
   * Releases every delayed message that is due now into its queue (once, however often
   * this runs) and wakes receivers waiting on their topics.
   * @example
   * const { released, nextDueAt } = await scheduled.releaseDue();
   */
  async releaseDue(maxMessages = 10_000): Promise<ReleaseReport> {
    let released = 0;
    while (released < maxMessages) {
      const due = await this.store.listDueHeld(
        'DELAY',
        this.clock.now(),
        Math.min(RELEASE_PAGE, maxMessages - released),
      );
      if (due.length === 0) break;
      const round = await this.releaseAll(due);
      released += round;
      // Nothing released (all fenced or settled elsewhere meanwhile): the same page would come
      // back; leave it to the next run rather than spin.
      if (round === 0 || due.length < RELEASE_PAGE) break;
    }
    return { released, nextDueAt: await this.store.nextHeldDueAt('DELAY', this.clock.now()) };
  }

  /**
   * Releases one message if it is due (an SQS-delayed wake-up names the message it is for);
   * an early or repeated wake-up releases nothing before `deliverAt`. True once released.
   */
  async releaseOne(topic: string, msgId: string): Promise<boolean> {
    const held = await this.store.getHeld(topic, msgId, this.clock.now());
    if (held?.kind !== 'DELAY') return false;
    if (held.state === 'HELD' && held.dueAt > this.clock.now()) return false;
    return (await this.releaseAll([held])) > 0 || held.state === 'RELEASED';
  }

  /** Asks the driver to release `held` at their due times. Best effort: the driver's own runs still find them. */
  private async wake(held: readonly HeldMessage[]): Promise<void> {
    if (!this.scheduler) return;
    const due = held.map((entry) => ({ topic: entry.message.topic, msgId: entry.message.msgId, dueAt: entry.dueAt }));
    await this.scheduler.schedule(due).catch(() => undefined);
  }

  /**
   * A topic's pending delayed messages, by due time, a page at a time.
   * @example
   * const { scheduled, nextToken } = await scheduled.list('reminders', { limit: 100 });
   */
  async list(topicName: string, options: { limit?: number; after?: string } = {}): Promise<ScheduledPage> {
    const topic = await this.catalog.getTopic(topicName);
    const limit = checkedInt(options.limit, 100, 1, 1000, 'limit');
    const after = options.after === undefined ? undefined : decodeHeldCursor(options.after);
    const found = await this.store.listHeld(topic.name, 'DELAY', this.clock.now(), limit + 1, after);
    const page = found.slice(0, limit);
    const last = page.at(-1);
    return {
      scheduled: page.map(scheduledView),
      ...(found.length > limit && last
        ? { nextToken: encodeHeldCursor({ dueAt: last.dueAt, msgId: last.message.msgId }) }
        : {}),
    };
  }

  /**
   * Cancels a pending delayed message: it is never delivered. One of a cancel and a
   * release racing for the same message wins; the other sees it.
   * @example
   * await scheduled.cancel('reminders', msgId); // ALREADY_DELIVERED once it was released
   */
  async cancel(topicName: string, msgId: string): Promise<void> {
    assertTopicName(topicName);
    const topic = await this.catalog.getTopic(topicName);
    if (!MSG_ID.test(msgId)) throw notFound(topic.name, msgId.slice(0, 80));
    const held = await this.store.getHeld(topic.name, msgId, this.clock.now());
    if (held?.kind !== 'DELAY') throw notFound(topic.name, msgId);
    const outcome = await this.store.cancelHeld(topic.name, msgId, 'cancelled by request', this.clock.now());
    if (outcome.state === 'NOT_FOUND') throw notFound(topic.name, msgId);
    if (outcome.state === 'CANCELLED')
      this.traceHeld([outcome.held], 'CANCELLED', this.clock.now(), 'cancelled by request');
    if (outcome.state === 'RELEASED') {
      throw new NimbusError('ALREADY_DELIVERED', `Message ${msgId} was already delivered to topic "${topic.name}".`);
    }
  }

  /**
   * Releases each message (a few at a time, so a burst shares commits), and wakes the
   * receivers of their topics. One failure does not hold up the others; the first is
   * rethrown at the end, so the driver logs it and tries again.
   */
  private async releaseAll(held: readonly HeldMessage[]): Promise<number> {
    const topics = new Set<string>();
    let released = 0;
    let failure: unknown;
    for (let start = 0; start < held.length; start += RELEASE_PARALLEL) {
      const chunk = held.slice(start, start + RELEASE_PARALLEL);
      const outcomes = await Promise.allSettled(chunk.map((entry) => this.releaseFenced(entry)));
      outcomes.forEach((outcome, i) => {
        if (outcome.status === 'rejected') failure ??= outcome.reason;
        else if (outcome.value) {
          released++;
          topics.add(chunk[i]?.message.topic ?? '');
        }
      });
    }
    for (const topic of topics) this.notifier.publish(topic);
    if (failure !== undefined) throw failure;
    return released;
  }

  /**
   * Releases one held message into its topic, unless that topic is gone or was deleted and
   * created anew after the message was held (a send racing a delete across processes can
   * leave such an orphan): then it is cancelled, never delivered to strangers.
   */
  private async releaseFenced(held: HeldMessage): Promise<boolean> {
    const { topic: name, msgId } = held.message;
    const now = this.clock.now();
    if (!this.belongsTo(held, await this.catalog.findTopic(name))) {
      // The cached view may be stale (a topic created a moment ago elsewhere): ask the store.
      if (!this.belongsTo(held, await this.store.getTopic(name))) {
        await this.store.cancelHeld(name, msgId, 'the topic was deleted', now);
        return false;
      }
    }
    const outcome = await this.store.release(name, msgId, now);
    if (outcome.state !== 'RELEASED') return false;
    const { queueId, queueOffset } = outcome.message;
    this.tracer?.emit(name, [
      { subject: msgIdSubject(msgId), event: { type: 'RELEASED', time: now, queueId, queueOffset } },
    ]);
    return true;
  }

  private traceHeld(
    held: readonly HeldMessage[],
    type: 'SCHEDULED' | 'CANCELLED',
    time: number,
    reason?: string,
  ): void {
    const topic = held[0]?.message.topic;
    if (topic === undefined) return;
    this.tracer?.emit(
      topic,
      held.map(({ message }) => ({
        subject: msgIdSubject(message.msgId),
        event: { type, time, queueId: message.queueId, host: message.bornHost, reason },
        expireAt: message.expireAt,
      })),
    );
  }

  /**
   * Whether a held message was sent to this topic, not to one of the same name deleted since:
   * the topic must be a DELAY topic created before the message was held. Creation and hold
   * times come from different processes' clocks, so a topic counts as created anew only when
   * it is younger than the hold by more than any plausible clock skew.
   */
  private belongsTo(held: HeldMessage, topic: Topic | undefined): boolean {
    return topic?.messageType === 'DELAY' && topic.createdAt <= held.message.storeTimestamp + FENCE_SKEW_MS;
  }
}

function scheduledView(held: HeldMessage): ScheduledView {
  const { message } = held;
  return {
    msgId: message.msgId,
    deliverAt: held.dueAt,
    ...(message.tag === undefined ? {} : { tag: message.tag }),
    keys: message.keys,
    bodySize: message.body.byteLength,
  };
}

function notFound(topic: string, msgId: string): NimbusError {
  return new NimbusError('MESSAGE_NOT_FOUND', `Topic "${topic}" has no scheduled message ${msgId}.`);
}
