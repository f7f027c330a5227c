import type { Catalog } from './catalog.ts';
import type { Clock } from './ports/clock.ts';
import type { TraceRecord, TraceStore, TraceSubject } from './ports/trace-store.ts';
import type { TraceEvent } from './trace-event.ts';

/** One event for one message, as a service emits it. */
export interface TraceEmission {
  subject: TraceSubject;
  event: TraceEvent;
  /** The message's expiry when the emitter knows it; otherwise now + the topic's retention (never earlier). */
  expireAt?: number;
}

/**
 * The event seam: every core service hands its lifecycle events to this one object, which
 * stores them through the trace port in one batch per call, for topics whose trace is on.
 * Emission never fails and never delays the operation that emits: the write runs in the
 * background, and a failed trace write leaves the message operation standing (it counts in
 * `failures`). Reads of a trace first wait for this process's writes still under way.
 */
export class Tracer {
  private readonly pending = new Set<Promise<void>>();
  private failed = 0;

  private readonly store: TraceStore;
  private readonly catalog: Catalog;
  private readonly clock: Clock;

  constructor(store: TraceStore, catalog: Catalog, clock: Clock) {
    this.store = store;
    this.catalog = catalog;
    this.clock = clock;
  }

  /** Trace writes that failed since the process started (the operations that emitted them stand). */
  get failures(): number {
    return this.failed;
  }

  /**
   * Records events of one topic's messages, in the background.
   * @example
   * tracer.emit('orders', [{ subject: msgIdSubject(msgId), event: { type: 'SENT', time: now } }]);
   */
  emit(topicName: string, emissions: readonly TraceEmission[]): void {
    if (emissions.length === 0) return;
    const write = this.write(topicName, emissions).catch(() => {
      this.failed++;
    });
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  /**
   * Resolves once every trace write this process started so far has finished (a Lambda
   * handler awaits it before returning, so no write is frozen with the sandbox).
   * @example
   * await tracer.settled();
   */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** The stored events of the given subjects, oldest first. */
  async read(subjects: readonly TraceSubject[]): Promise<TraceEvent[]> {
    await this.settled();
    const records = await this.store.listTrace(subjects, this.clock.now());
    return records.map((record) => record.event).sort((a, b) => a.time - b.time || order(a) - order(b));
  }

  private async write(topicName: string, emissions: readonly TraceEmission[]): Promise<void> {
    const topic = await this.catalog.findTopic(topicName);
    if (!topic || topic.trace === false) return;
    const fallbackExpiry = this.clock.now() + topic.retentionMs;
    const records: TraceRecord[] = emissions.map(({ subject, event, expireAt }) => ({
      subject,
      event,
      expireAt: expireAt ?? fallbackExpiry,
    }));
    await this.store.appendTrace(records);
  }
}

/** Events of the same millisecond in lifecycle order (a delivery before its ack). */
const LIFECYCLE = [
  'PREPARED',
  'SCHEDULED',
  'CHECKED',
  'COMMITTED',
  'ROLLED_BACK',
  'CANCELLED',
  'RELEASED',
  'SENT',
  'INVISIBLE_EXPIRED',
  'DELIVERED',
  'NACKED',
  'ACKED',
  'DEAD_LETTERED',
  'REDRIVEN',
];

function order(event: TraceEvent): number {
  return LIFECYCLE.indexOf(event.type);
}
