import type { Catalog } from './catalog.ts';
import { NimbusError } from './errors.ts';
import { laneOf } from './lane.ts';
import { laneCursors } from './lane-cursors.ts';
import { LIMITS } from './limits.ts';
import type { Group, ReceivedMessage } from './model.ts';
import { receiveOrderedQueue } from './ordered-receive.ts';
import type { Clock, IdGenerator } from './ports/clock.ts';
import type { Notifier } from './ports/notifier.ts';
import type { BrokerStore } from './ports/store.ts';
import { ClaimsInFlight, claimFromQueue, type QueueClaimContext } from './queue-claim.ts';
import { type Prefetch, QueueHints, readsAhead, type TopicView } from './queue-hints.ts';
import type { Pass } from './receive-pass.ts';
import { redeliver } from './redelivery.ts';
import { parseTagExpression, type TagFilter } from './tag-expression.ts';
import { deliveryEvents } from './trace-emissions.ts';
import type { Tracer } from './tracer.ts';
import { nextTurn, setTurn, turnKey } from './turns.ts';

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

/** Upper bound on a long-poll sleep between store checks when no signal arrives. */
const POLL_INTERVAL_MS = 1_000;
/**
 * A quiet long-poll doubles its sleep between store checks up to this: on a store shared by
 * many processes (DynamoDB, where sends elsewhere cannot wake it) an idle 20 s poll then
 * checks about 11 times instead of 40, and a message still arrives within 2 s.
 */
const MAX_POLL_INTERVAL_MS = 2_000;
/**
 * Most queue offsets and due leases one pass of a receive examines (filtered-out and
 * dead-lettered ones included), so a receive answers quickly; a long-poll goes on at once.
 */
const SCAN_BUDGET = 2_048;

export { LARGE_BODY_PAGE } from './redelivery.ts';

/**
 * Hands messages to consumers. A lane (see lane.ts) first gets its due redeliveries, then
 * new messages from its cursors.
 */
export class Consumer {
  /** Which subscription a lane's next receive looks at first. */
  private readonly subscriptionTurn = new Map<string, number>();
  /**
   * Which queue a lane's next receive of a topic starts at: the one after the last queue that
   * served a message, so every non-empty queue is served in turn whatever the number of
   * queues, empty queues and subscriptions.
   */
  private readonly queueTurn = new Map<string, number>();
  private readonly hints = new QueueHints();
  private readonly claims = new ClaimsInFlight();

  private readonly store: BrokerStore;
  private readonly catalog: Catalog;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly notifier: Notifier;
  private readonly pollIntervalMs: number;
  private readonly tracer: Tracer | undefined;

  constructor(
    store: BrokerStore,
    catalog: Catalog,
    clock: Clock,
    ids: IdGenerator,
    notifier: Notifier,
    pollIntervalMs: number = POLL_INTERVAL_MS,
    tracer?: Tracer,
  ) {
    this.store = store;
    this.catalog = catalog;
    this.clock = clock;
    this.ids = ids;
    this.notifier = notifier;
    this.pollIntervalMs = pollIntervalMs;
    this.tracer = tracer;
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
    const lane = laneOf(group, options.clientId).key;
    const deadline = this.clock.now() + waitMs;
    let pollMs = this.pollIntervalMs;
    for (;;) {
      // The caller went away: what we claimed now would stay hidden from everyone for nothing.
      if (options.signal?.aborted) return [];
      const pass = await this.receiveOnce(group, lane, max, invisibleMs, options.maxBodyBytes ?? Infinity);
      if (this.tracer) deliveryEvents(this.tracer, lane, pass, this.clock.now());
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
      events: [],
    };
    const subs = group.subscriptions;
    const start = nextTurn(this.subscriptionTurn, lane);
    // One round: the first subscription's cursors and queue heads are read while the due
    // leases are looked up (redeliveries still go out first).
    const first = subs.length > 0 ? subs[start % subs.length] : undefined;
    const firstView = first ? this.viewTopic(group, lane, first.topic) : undefined;
    // Awaited below unless redeliveries fill the receive; then a failure of it changes nothing.
    firstView?.catch(() => undefined);
    await redeliver(this.store, this.clock.now(), () => this.ids.token(), group, lane, max, invisibleMs, pass);
    for (let i = 0; i < subs.length && pass.messages.length < max && pass.budget > 0 && !pass.full; i++) {
      const sub = subs[(start + i) % subs.length];
      if (!sub) continue;
      const view = await (i === 0 && firstView ? firstView : this.viewTopic(group, lane, sub.topic));
      if (!view) continue;
      const filter = parseTagExpression(sub.tagExpression);
      if (group.orderly && view.topic.messageType === 'FIFO') {
        await this.receiveOrdered(group, lane, view, filter, max, invisibleMs, pass);
      } else {
        await this.receiveNew(lane, view, filter, max, invisibleMs, pass);
      }
    }
    return pass;
  }

  /**
   * The lane's cursors on a topic and the queue heads, in one round. The heads are not read
   * when this process already knows that the queue whose turn it is holds messages past the
   * cursor (see QueueHints); `fresh` says whether they were.
   */
  private async viewTopic(group: Group, lane: string, topicName: string): Promise<TopicView | undefined> {
    const topic = await this.catalog.findTopic(topicName);
    if (!topic) return undefined;
    const start = (this.queueTurn.get(turnKey(lane, topic.name)) ?? 0) % topic.queueCount;
    const hinted = this.hints.likelyReady(lane, topic.name, start);
    const [cursors, heads] = await Promise.all([
      laneCursors(this.store, group, lane, topic.name, topic.queueCount),
      hinted ? undefined : this.store.queueHeads(topic.name, topic.queueCount),
    ]);
    this.hints.rememberCursors(lane, topic.name, cursors);
    if (heads) return { topic, cursors, heads: this.hints.rememberHeads(topic.name, heads), fresh: true, start };
    return { topic, cursors, heads: this.hints.headsOf(topic.name, topic.queueCount), fresh: false, start };
  }

  /**
   * New messages of one topic, queue by queue from the one whose turn it is, skipping queues
   * with nothing past the lane's cursor. When the heads show that the first ready queue
   * cannot fill the receive, the next ready ones are read at the same time.
   */
  private async receiveNew(
    lane: string,
    view: TopicView,
    filter: TagFilter,
    max: number,
    invisibleMs: number,
    pass: Pass,
  ): Promise<void> {
    const { topic, cursors, start } = view;
    let { heads, fresh } = view;
    const prefetched = new Map<number, Prefetch>();
    const context = this.claimContext(lane, topic.name, filter, max, invisibleMs);
    // Queues another receive of this lane is claiming from: served last, from where it leaves the cursor.
    const busy: number[] = [];
    for (let i = 0; i < topic.queueCount && wantsMore(pass, max); i++) {
      const queueId = (start + i) % topic.queueCount;
      if (this.claims.claimOf(lane, topic.name, queueId)) {
        busy.push(queueId);
        continue;
      }
      const cursor = cursors.get(queueId) ?? 0;
      if (cursor >= (heads[queueId] ?? 0)) {
        // Remembered heads only prove a queue ready, never empty: read them before skipping one.
        if (fresh) continue;
        heads = this.hints.rememberHeads(topic.name, await this.store.queueHeads(topic.name, topic.queueCount));
        fresh = true;
        if (cursor >= (heads[queueId] ?? 0)) continue;
      }
      if (fresh && !prefetched.has(queueId))
        this.prefetch(view, heads, i, filter, max - pass.messages.length, pass, prefetched);
      await this.claimQueue(context, queueId, cursor, pass, prefetched.get(queueId));
    }
    for (const queueId of busy) {
      if (!wantsMore(pass, max)) return;
      let cursor = cursors.get(queueId) ?? 0;
      for (let claim = this.claims.claimOf(lane, topic.name, queueId); claim; ) {
        cursor = Math.max(cursor, await claim);
        claim = this.claims.claimOf(lane, topic.name, queueId);
      }
      if (cursor >= (heads[queueId] ?? 0)) {
        // Heads read before the wait only prove a queue ready: messages sent while the other
        // claim ran are past them, and their wake-up went out before this receive sleeps.
        heads = this.hints.rememberHeads(topic.name, await this.store.queueHeads(topic.name, topic.queueCount));
        if (cursor >= (heads[queueId] ?? 0)) continue;
      }
      await this.claimQueue(context, queueId, cursor, pass);
    }
  }

  private claimContext(
    lane: string,
    topic: string,
    filter: TagFilter,
    max: number,
    invisibleMs: number,
  ): QueueClaimContext {
    return {
      store: this.store,
      now: () => this.clock.now(),
      newToken: () => this.ids.token(),
      lane,
      topic,
      filter,
      max,
      invisibleMs,
      drained: (queueId, cursor) => this.hints.drained(topic, queueId, cursor),
    };
  }

  /** One queue's claim, marked busy for the lane's other receives in this process while it runs. */
  private async claimQueue(
    context: QueueClaimContext,
    queueId: number,
    cursor: number,
    pass: Pass,
    prefetched?: Prefetch,
  ): Promise<void> {
    const { lane, topic } = context;
    const before = pass.messages.length;
    const claim = claimFromQueue(context, queueId, cursor, pass, prefetched);
    const left = await this.claims.track(lane, topic, queueId, claim);
    this.hints.moved(lane, topic, queueId, left);
    // The next receive starts after the last queue that served one: turns go round the
    // queues that have messages, whatever the empty ones in between.
    if (pass.messages.length > before) setTurn(this.queueTurn, turnKey(lane, topic), queueId + 1);
  }

  /**
   * An orderly lane on a FIFO topic: every queue in turn, since a queue with nothing new may
   * still hold a message group's next message (parked, or due again after a nack).
   */
  private async receiveOrdered(
    group: Group,
    lane: string,
    view: TopicView,
    filter: TagFilter,
    max: number,
    invisibleMs: number,
    pass: Pass,
  ): Promise<void> {
    const { topic, cursors, start } = view;
    for (let i = 0; i < topic.queueCount && pass.messages.length < max && pass.budget > 0 && !pass.full; i++) {
      const queueId = (start + i) % topic.queueCount;
      const before = pass.messages.length;
      const { store, clock, ids } = this;
      const queue = { store, group, lane, topic: topic.name, queueId, filter, max, invisibleMs, now: clock.now() };
      await receiveOrderedQueue({ ...queue, newToken: () => ids.token() }, cursors.get(queueId) ?? 0, pass);
      if (pass.messages.length > before) setTurn(this.queueTurn, turnKey(lane, topic.name), queueId + 1);
    }
  }

  /**
   * Starts reads of the ready queues after position `i` (in turn order) that the heads say
   * this receive will need, so they run while the first one is claimed. Only without a tag
   * filter and without a body budget: then a queue hands out everything it holds, and the
   * heads predict how many messages each read brings.
   */
  private prefetch(
    view: TopicView,
    heads: readonly number[],
    i: number,
    filter: TagFilter,
    wanted: number,
    pass: Pass,
    into: Map<number, Prefetch>,
  ): void {
    if (filter.expression !== '*' || Number.isFinite(pass.maxBodyBytes)) return;
    for (const { queueId, from, limit } of readsAhead(view, heads, i, wanted)) {
      const read = this.store.readQueue(view.topic.name, queueId, from, limit, this.clock.now());
      read.catch(() => undefined);
      into.set(queueId, { from, limit, read });
    }
  }
}

/** Whether a pass may still hand out messages. */
function wantsMore(pass: Pass, max: number): boolean {
  return pass.messages.length < max && pass.budget > 0 && !pass.full;
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
