import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  isBucketEvent,
  isSweepEvent,
  MINUTE_MS,
  parseWakeUp,
  type ReleaseWakeUp,
  type SqsWakeUps,
} from '../adapters/scheduler/index.ts';
import type { Broker } from '../core/broker.ts';
import { logger, metrics } from './observability.ts';

/** Due messages one bucket run or sweep hands to SQS (the port lists due messages a page at a time). */
export const HAND_OFF_PAGE = 1_000;
/** The sweep hands SQS what falls due within this: until the next sweep, with a minute to spare. */
export const SWEEP_LOOK_AHEAD_MS = 2 * MINUTE_MS;

export interface TimerReleaseDeps {
  broker: Broker;
  wakeUps: SqsWakeUps;
}

export type TimerReleaseResult = SQSBatchResponse | { released: number; handedOff: number };

/**
 * The timer-release function's work, for the three ways it is started:
 * - an SQS batch of wake-ups, each delayed to its message's due second: release it (or,
 *   if it came early, send it back with the remaining delay); failures are reported per
 *   record (`batchItemFailures`), so only they are retried, then dead-lettered;
 * - a bucket's one-time schedule, two minutes before the bucket's minute: hand every
 *   message due by the end of the minute to SQS;
 * - the `rate(1 minute)` sweep: release whatever is overdue (a missed wake-up), and hand
 *   SQS what falls due before the next sweep.
 * Releases are idempotent, so any of these arriving twice appends nothing twice.
 */
export async function handleTimerEvent(event: unknown, deps: TimerReleaseDeps): Promise<TimerReleaseResult> {
  if (isSqsEvent(event)) return releaseWakeUps(event.Records, deps);
  if (isBucketEvent(event)) {
    const handedOff = await handOff(deps, (event.minute + 1) * MINUTE_MS - 1);
    metrics.addMetric('BucketHandedOff', MetricUnit.Count, handedOff);
    return { released: 0, handedOff };
  }
  if (isSweepEvent(event)) {
    const { released } = await deps.broker.scheduled.releaseDue();
    // Anything the sweep releases was missed by its wake-up: late by up to a minute.
    metrics.addMetric('ReleasedBySweep', MetricUnit.Count, released);
    if (released > 0) logger.warn('sweep released overdue delayed messages', { released });
    const handedOff = await handOff(deps, deps.broker.clock.now() + SWEEP_LOOK_AHEAD_MS);
    return { released, handedOff };
  }
  throw new Error('timer-release: not an SQS batch, a bucket event or a sweep event');
}

async function releaseWakeUps(records: readonly SQSRecord[], deps: TimerReleaseDeps): Promise<SQSBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  await Promise.all(
    records.map(async (record) => {
      const wakeUp = parseWakeUp(record.body);
      if (!wakeUp) {
        // Not ours to retry: a malformed body would fail the same way every time.
        logger.error('timer-release: dropped a malformed wake-up', { messageId: record.messageId });
        return;
      }
      try {
        await releaseWakeUp(wakeUp, deps);
      } catch (error) {
        logger.error('timer-release: release failed, SQS retries it', { wakeUp, error });
        metrics.addMetric('ReleaseFailures', MetricUnit.Count, 1);
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
}

async function releaseWakeUp(wakeUp: ReleaseWakeUp, deps: TimerReleaseDeps): Promise<void> {
  const { broker } = deps;
  const now = broker.clock.now();
  const held = await broker.store.getHeld(wakeUp.topic, wakeUp.msgId, now);
  if (held?.state !== 'HELD') return;
  if (held.dueAt > now) {
    // Early (a long delay's first leg, or a rescheduled message): wait out the rest in SQS.
    await deps.wakeUps.send([{ ...wakeUp, dueAt: held.dueAt }], now);
    return;
  }
  if (await broker.scheduled.releaseOne(wakeUp.topic, wakeUp.msgId)) {
    metrics.addMetric('ReleaseLatenessMs', MetricUnit.Milliseconds, Math.max(0, now - held.dueAt));
  }
}

/** Sends SQS wake-ups for the held messages due by `dueBy`; returns how many. */
async function handOff(deps: TimerReleaseDeps, dueBy: number): Promise<number> {
  const due = await deps.broker.store.listDueHeld('DELAY', dueBy, HAND_OFF_PAGE);
  const now = deps.broker.clock.now();
  await deps.wakeUps.send(
    due.map((held) => ({ topic: held.message.topic, msgId: held.message.msgId, dueAt: held.dueAt })),
    now,
  );
  return due.length;
}

function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as Partial<SQSEvent> | null)?.Records;
  return Array.isArray(records) && records.every((record) => record?.eventSource === 'aws:sqs');
}
