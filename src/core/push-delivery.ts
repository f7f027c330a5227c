import type { Catalog } from './catalog.ts';
import type { Consumer } from './consumer.ts';
import { NimbusError } from './errors.ts';
import { LIMITS } from './limits.ts';
import type { ReceivedMessage } from './model.ts';
import type { Clock, IdGenerator } from './ports/clock.ts';
import type { BrokerStore } from './ports/store.ts';
import type { Timers } from './ports/timers.ts';
import { PushRunLock, pushLockName } from './push-run-lock.ts';
import type { Settlement } from './settlement.ts';

/** One batch handed to a push target: messages of one consumer group. */
export interface PushBatch {
  group: string;
  messages: readonly ReceivedMessage[];
}

/**
 * Where a push subscription delivers: a Lambda function, a webhook, an in-process function.
 * It reports partial batch failures by message id; messages not named succeeded. Throwing
 * means the whole batch failed.
 */
export interface PushTarget {
  invoke(batch: PushBatch): Promise<{ failedMsgIds: readonly string[] }>;
}

/** A consumer group delivered by push instead of pull. */
export interface PushSubscription {
  group: string;
  /** Broadcasting groups: the instance whose progress this subscription is. */
  clientId?: string;
  /** Messages per target invocation, 1-32 (default 10). */
  batchSize?: number;
  /** Target invocations in flight at once (default 2). */
  maxConcurrency?: number;
  /**
   * How long a delivered batch stays invisible (default 5 min). Longer than the target may
   * take, or a batch still being processed is handed out again.
   */
  invisibleDurationMs?: number;
}

export interface PushRunOptions {
  /** Epoch ms after which no new batch is received (batches in flight still finish). */
  deadline: number;
  /** Long-poll per receive when nothing is ready (default 0: return at once). */
  waitMs?: number;
  /** Keep polling until the deadline even when the group is drained (default false). */
  pollUntilDeadline?: boolean;
  /**
   * Most body bytes of one batch (at least one message always goes); the rest waits for the
   * next batch. Bounds the driver's memory when bodies are large. @default no limit
   */
  maxBatchBodyBytes?: number;
  signal?: AbortSignal;
  /** Owner of the run's lock (see `PushRunLock`). @default a fresh token */
  runId?: string;
  /**
   * How often (real time) the run checks whether its lock needs renewing because a batch
   * outlives it. @default a quarter of the invisible duration, at most 10 s
   */
  lockCheckIntervalMs?: number;
}

export interface PushRunReport {
  /** Target invocations. */
  batches: number;
  /** Messages handed to the target. */
  delivered: number;
  acked: number;
  /** Failed messages scheduled for another attempt after RocketMQ's backoff. */
  retried: number;
  /** Failed messages at their last attempt, moved to the group's dead-letter queue. */
  deadLettered: number;
  /** Settlements refused because the lease moved on (the batch outlived its invisible duration). */
  stale: number;
  /** Invocations that failed as a whole (the target threw). */
  targetErrors: number;
  /** The last whole-batch failure, for the driver's log. */
  lastError?: string;
  /** Set when the run received nothing because another run of the subscription still holds its lock. */
  skipped?: 'another-run-in-progress';
  /**
   * The run stalled past its lock's expiry (renewals failed or came too late) and another run
   * took the lock over, so their invocations may have overlapped.
   */
  lockLost?: boolean;
}

const DEFAULT_BATCH_SIZE = 10;
const DEFAULT_CONCURRENCY = 2;
const MAX_CONCURRENCY = 100;
const DEFAULT_PUSH_INVISIBLE_MS = 5 * 60_000;
const MAX_LOCK_CHECK_INTERVAL_MS = 10_000;

/**
 * Push delivery: receives batches of a group through the consumer, invokes the target,
 * acks what succeeded and nacks what failed (RocketMQ backoff, then the DLQ after the
 * group's `maxDeliveryAttempts`). Safe to run twice or to crash anywhere: a batch that
 * was invoked but not settled is redelivered after its invisible duration (at-least-once).
 * Runs of one subscription never overlap: a run holds the subscription's lock (`PushRunLock`)
 * until its last batch is settled, and a run that finds it held is skipped, so
 * `maxConcurrency` bounds the invocations in flight across runs.
 */
export class PushDelivery {
  private readonly consumer: Consumer;
  private readonly settlement: Settlement;
  private readonly catalog: Catalog;
  private readonly clock: Clock;
  private readonly store: BrokerStore;
  private readonly ids: IdGenerator;
  private readonly timers: Timers;

  constructor(deps: {
    consumer: Consumer;
    settlement: Settlement;
    catalog: Catalog;
    clock: Clock;
    store: BrokerStore;
    ids: IdGenerator;
    timers: Timers;
  }) {
    this.consumer = deps.consumer;
    this.settlement = deps.settlement;
    this.catalog = deps.catalog;
    this.clock = deps.clock;
    this.store = deps.store;
    this.ids = deps.ids;
    this.timers = deps.timers;
  }

  /**
   * Delivers until the group is drained (or the deadline passes), with at most
   * `maxConcurrency` target invocations in flight. Returns at once with `skipped` while
   * another run of the subscription holds its lock; frees the lock when every batch in
   * flight is settled.
   * @example
   * const push = new PushDelivery(broker);
   * const report = await push.run({ group: 'billing', batchSize: 10 }, target, { deadline: Date.now() + 50_000 });
   */
  async run(subscription: PushSubscription, target: PushTarget, options: PushRunOptions): Promise<PushRunReport> {
    const settings = checkedSettings(subscription);
    const group = await this.catalog.getGroup(subscription.group);
    const report: PushRunReport = {
      batches: 0,
      delivered: 0,
      acked: 0,
      retried: 0,
      deadLettered: 0,
      stale: 0,
      targetErrors: 0,
    };
    const lock = new PushRunLock({
      store: this.store,
      clock: this.clock,
      timers: this.timers,
      name: pushLockName(subscription),
      owner: options.runId ?? this.ids.token(),
      batchLifetimeMs: settings.invisibleDurationMs,
    });
    if (!(await lock.acquire(options.deadline))) return { ...report, skipped: 'another-run-in-progress' };
    let failed = false;
    const worker = async () => {
      while (this.clock.now() < options.deadline && !options.signal?.aborted && !failed) {
        const waitMs = Math.max(0, Math.min(options.waitMs ?? 0, options.deadline - this.clock.now()));
        const delivered = await this.deliverBatch(subscription, settings, group.maxDeliveryAttempts, target, {
          waitMs,
          maxBodyBytes: options.maxBatchBodyBytes,
          signal: options.signal,
          report,
        }).catch((error: unknown) => {
          // The other workers stop receiving, but their batches in flight still settle under the lock.
          failed = true;
          throw error;
        });
        if (delivered === 0 && !options.pollUntilDeadline) return;
      }
    };
    lock.keepAlive(
      options.lockCheckIntervalMs ?? Math.min(MAX_LOCK_CHECK_INTERVAL_MS, settings.invisibleDurationMs / 4),
    );
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: settings.maxConcurrency }, worker));
      const failure = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failure) throw failure.reason;
    } finally {
      await lock.release();
    }
    if (lock.lost) report.lockLost = true;
    return report;
  }

  /** One round trip: receive a batch, invoke the target, settle each message. Returns the batch size. */
  private async deliverBatch(
    subscription: PushSubscription,
    settings: Settings,
    maxDeliveryAttempts: number,
    target: PushTarget,
    round: { waitMs: number; maxBodyBytes?: number; signal: AbortSignal | undefined; report: PushRunReport },
  ): Promise<number> {
    const { report } = round;
    const messages = await this.consumer.receive(subscription.group, {
      maxMessages: settings.batchSize,
      invisibleDurationMs: settings.invisibleDurationMs,
      waitMs: round.waitMs,
      maxBodyBytes: round.maxBodyBytes,
      clientId: subscription.clientId,
      signal: round.signal,
    });
    if (messages.length === 0) return 0;
    report.batches++;
    report.delivered += messages.length;
    const failed = await this.invokeTarget(target, { group: subscription.group, messages }, report);
    const succeeded = messages.filter((message) => !failed.has(message.msgId));
    const retry = messages.filter((message) => failed.has(message.msgId));
    if (succeeded.length > 0) {
      const results = await this.settlement.ack(
        subscription.group,
        succeeded.map((message) => message.receiptHandle),
      );
      for (const result of results) {
        if (result.ok) report.acked++;
        else report.stale++;
      }
    }
    if (retry.length > 0) {
      const results = await this.settlement.nack(
        subscription.group,
        retry.map((message) => message.receiptHandle),
      );
      results.forEach((result, i) => {
        if (!result.ok) report.stale++;
        else if ((retry[i]?.deliveryAttempt ?? 0) >= maxDeliveryAttempts) report.deadLettered++;
        else report.retried++;
      });
    }
    return messages.length;
  }

  /** The ids the target reported failed; every id when the invocation failed as a whole. */
  private async invokeTarget(target: PushTarget, batch: PushBatch, report: PushRunReport): Promise<Set<string>> {
    try {
      const { failedMsgIds } = await target.invoke(batch);
      return new Set(failedMsgIds);
    } catch (error) {
      report.targetErrors++;
      report.lastError = error instanceof Error ? error.message : String(error);
      return new Set(batch.messages.map((message) => message.msgId));
    }
  }
}

interface Settings {
  batchSize: number;
  maxConcurrency: number;
  invisibleDurationMs: number;
}

function checkedSettings(subscription: PushSubscription): Settings {
  const batchSize = subscription.batchSize ?? DEFAULT_BATCH_SIZE;
  const maxConcurrency = subscription.maxConcurrency ?? DEFAULT_CONCURRENCY;
  const invisibleDurationMs = subscription.invisibleDurationMs ?? DEFAULT_PUSH_INVISIBLE_MS;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > LIMITS.maxReceiveMessages) {
    throw new NimbusError('INVALID_ARGUMENT', `batchSize must be an integer from 1 to ${LIMITS.maxReceiveMessages}.`);
  }
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > MAX_CONCURRENCY) {
    throw new NimbusError('INVALID_ARGUMENT', `maxConcurrency must be an integer from 1 to ${MAX_CONCURRENCY}.`);
  }
  // Checked before the run takes its lock, whose lifetime it sets (receive would refuse it later).
  const { minInvisibleMs, maxInvisibleMs } = LIMITS;
  if (
    !Number.isInteger(invisibleDurationMs) ||
    invisibleDurationMs < minInvisibleMs ||
    invisibleDurationMs > maxInvisibleMs
  ) {
    throw new NimbusError(
      'INVALID_ARGUMENT',
      `invisibleDurationMs must be an integer from ${minInvisibleMs} to ${maxInvisibleMs}.`,
    );
  }
  return { batchSize, maxConcurrency, invisibleDurationMs };
}
