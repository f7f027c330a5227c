import { retryDelayMs } from './backoff.ts';
import type { Catalog } from './catalog.ts';
import { checkedInt } from './consumer.ts';
import { type ErrorCode, isNimbusError, NimbusError } from './errors.ts';
import { disposeOfLease } from './lease-disposal.ts';
import { LIMITS } from './limits.ts';
import type { Group } from './model.ts';
import type { Clock, IdGenerator } from './ports/clock.ts';
import type { Notifier } from './ports/notifier.ts';
import type { BrokerStore, TraceSubject } from './ports/store.ts';
import { decodeReceiptHandle, encodeReceiptHandle, groupOfLane, type ReceiptHandle } from './receipt-handle.ts';
import { leaseEvent } from './trace-emissions.ts';
import type { TraceEmission, Tracer } from './tracer.ts';

/** Outcome for one receipt handle: a stale or foreign handle is reported, not thrown. */
export type SettleResult =
  | { receiptHandle: string; ok: true }
  | { receiptHandle: string; ok: false; code: ErrorCode; message: string };

const STALE = 'The receipt handle is stale: the message was acked, redelivered to another consumer, or expired.';

/** Ack, nack and change-invisible-duration: everything that settles a delivery. */
export class Settlement {
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
   * Acknowledges deliveries: the messages are done for this group (or broadcasting client).
   * @example
   * const results = await settlement.ack('billing', messages.map((m) => m.receiptHandle));
   */
  async ack(groupName: string, receiptHandles: readonly string[]): Promise<SettleResult[]> {
    const group = await this.catalog.getGroup(groupName);
    checkCount(receiptHandles);
    const results: SettleResult[] = new Array(receiptHandles.length);
    const valid: { index: number; handle: ReceiptHandle }[] = [];
    receiptHandles.forEach((text, index) => {
      const decoded = decodeFor(groupName, text);
      if ('handle' in decoded) valid.push({ index, handle: decoded.handle });
      else results[index] = { receiptHandle: text, ok: false, ...decoded.error };
    });
    const deleted = await this.store.deleteLeases(valid.map(({ handle }) => ({ key: handle, token: handle.token })));
    // An ack unblocks the message group of an orderly lane: long-polls waiting on the topic take
    // the group's next message now rather than at their next check.
    if (group.orderly) {
      for (const topic of new Set(valid.filter((_, i) => deleted[i]).map(({ handle }) => handle.topic))) {
        this.notifier.publish(topic);
      }
    }
    const now = this.clock.now();
    const acked = valid.filter((_, i) => deleted[i]).map(({ handle }) => leaseEvent('ACKED', handle, now));
    // One emission per topic, so an ack call's events are written together.
    for (const topic of new Set(acked.map((event) => handleTopic(event.subject)))) {
      this.tracer?.emit(
        topic,
        acked.filter((event) => handleTopic(event.subject) === topic),
      );
    }
    valid.forEach(({ index }, i) => {
      const text = receiptHandles[index] as string;
      results[index] = deleted[i]
        ? { receiptHandle: text, ok: true }
        : { receiptHandle: text, ok: false, code: 'RECEIPT_HANDLE_EXPIRED', message: STALE };
    });
    return results;
  }

  /**
   * Negative acknowledgement: the message comes back after `delayMs`, by default after
   * RocketMQ's backoff for its attempt (10s, 30s, 1m, ...). At the group's last attempt
   * it goes to the dead-letter queue instead.
   * @example
   * await settlement.nack('billing', [message.receiptHandle]); // back after the backoff
   * await settlement.nack('billing', [message.receiptHandle], 0); // back at once
   */
  async nack(groupName: string, receiptHandles: readonly string[], delayMs?: number): Promise<SettleResult[]> {
    const group = await this.catalog.getGroup(groupName);
    checkCount(receiptHandles);
    const delay = delayMs === undefined ? undefined : checkedInt(delayMs, 0, 0, LIMITS.maxNackDelayMs, 'delayMs');
    const results: SettleResult[] = [];
    for (const text of receiptHandles) {
      const decoded = decodeFor(groupName, text);
      if (!('handle' in decoded)) {
        results.push({ receiptHandle: text, ok: false, ...decoded.error });
        continue;
      }
      const ok = await this.nackOne(group, decoded.handle, delay);
      // Back at once: a long-poll waiting on the topic takes it now rather than at its next check.
      if (ok && delay === 0) this.notifier.publish(decoded.handle.topic);
      results.push(
        ok
          ? { receiptHandle: text, ok: true }
          : { receiptHandle: text, ok: false, code: 'RECEIPT_HANDLE_EXPIRED', message: STALE },
      );
    }
    return results;
  }

  /**
   * The attempt that decides between backoff and the DLQ is the stored one: a client that
   * edits its handle can neither keep a message alive past its last attempt nor kill a
   * fresh one. Every write below is conditional on the handle's token, so a redelivery
   * racing this nack (new token) makes it stale instead of settling the new delivery.
   */
  private async nackOne(group: Group, handle: ReceiptHandle, delay: number | undefined): Promise<boolean> {
    const now = this.clock.now();
    const lease = await this.store.getLease(handle);
    if (!lease || lease.token !== handle.token) return false;
    if (lease.attempt >= group.maxDeliveryAttempts) {
      // Expired while held: it is never delivered again, so it is done (dropped), not dead.
      const [message] = await this.store.getMessages([lease], now);
      const reason = `negatively acknowledged at delivery attempt ${lease.attempt} of ${group.maxDeliveryAttempts}`;
      const trace = (emission: TraceEmission) => this.tracer?.emit(lease.topic, [emission]);
      const disposal = await disposeOfLease(this.store, group, lease, message, now, reason, trace);
      return disposal !== 'stale';
    }
    const visibleAt = now + (delay ?? retryDelayMs(lease.attempt));
    const nacked = await this.store.updateLease(lease, lease.token, { visibleAt, token: lease.token });
    if (nacked) this.tracer?.emit(lease.topic, [leaseEvent('NACKED', lease, now, { attempt: lease.attempt })]);
    return nacked;
  }

  /**
   * Extends or shortens the invisible time of a delivery; returns the new receipt handle
   * (the old one stops working).
   * @example
   * const { receiptHandle } = await settlement.changeInvisibleDuration('billing', message.receiptHandle, 120_000);
   */
  async changeInvisibleDuration(
    groupName: string,
    receiptHandle: string,
    invisibleDurationMs: number,
  ): Promise<{ receiptHandle: string; invisibleUntil: number }> {
    await this.catalog.getGroup(groupName);
    const duration = checkedInt(
      invisibleDurationMs,
      LIMITS.defaultInvisibleMs,
      0,
      LIMITS.maxInvisibleMs,
      'invisibleDurationMs',
    );
    const decoded = decodeFor(groupName, receiptHandle);
    if (!('handle' in decoded)) throw new NimbusError(decoded.error.code, decoded.error.message);
    const handle = decoded.handle;
    const invisibleUntil = this.clock.now() + duration;
    const token = this.ids.successorToken(handle.token);
    // The stored attempt stays as it is (no attempt in the update).
    if (await this.store.updateLease(handle, handle.token, { visibleAt: invisibleUntil, token })) {
      if (duration === 0) this.notifier.publish(handle.topic);
      return { receiptHandle: encodeReceiptHandle({ ...handle, token }), invisibleUntil };
    }
    // A retry whose first attempt succeeded but whose response was lost: the lease already
    // carries the successor of this handle's token. Answer what that first call set.
    const lease = await this.store.getLease(handle);
    if (lease?.token !== token) throw new NimbusError('RECEIPT_HANDLE_EXPIRED', STALE);
    return { receiptHandle: encodeReceiptHandle({ ...handle, token }), invisibleUntil: lease.visibleAt };
  }
}

function checkCount(handles: readonly string[]): void {
  if (handles.length === 0 || handles.length > 100) {
    throw new NimbusError('INVALID_ARGUMENT', 'Send 1 to 100 receipt handles per call.');
  }
}

function decodeFor(
  groupName: string,
  text: string,
): { handle: ReceiptHandle } | { error: { code: ErrorCode; message: string } } {
  try {
    const handle = decodeReceiptHandle(text);
    if (groupOfLane(handle.consumer) !== groupName) {
      return {
        error: { code: 'INVALID_RECEIPT_HANDLE', message: `The receipt handle belongs to another group.` },
      };
    }
    return { handle };
  } catch (error) {
    if (isNimbusError(error)) return { error: { code: error.code, message: error.message } };
    throw error;
  }
}

function handleTopic(subject: TraceSubject): string {
  return 'topic' in subject ? subject.topic : '';
}
