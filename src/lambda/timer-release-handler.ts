import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DueCursor, DuePage, DueWindow } from '../adapters/dynamodb/index.ts';
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

/** Due-index entries read per page while handing off (one query; wake-ups go out ten per SQS batch). */
export const HAND_OFF_PAGE = 1_000;
/** The sweep hands SQS what falls due within this: until the next sweep, with a minute to spare. */
export const SWEEP_LOOK_AHEAD_MS = 2 * MINUTE_MS;
/** How often the sweep runs (the stack's `rate(1 minute)`). */
export const SWEEP_INTERVAL_MS = MINUTE_MS;
/** Sweeps do not run on the second: each hands off this much of the window before its own again. */
export const SWEEP_OVERLAP_MS = 15_000;

/** The due index in pages, with a cursor (the DynamoDB store's hand-off listing, held-due-pages.ts). */
export interface DueHeldPages {
  listDueHeldPage(kind: 'DELAY', window: DueWindow, limit: number, cursor?: DueCursor): Promise<DuePage>;
}

export interface TimerReleaseDeps {
  broker: Broker;
  wakeUps: SqsWakeUps;
  dueHeld: DueHeldPages;
}

export type TimerReleaseResult = SQSBatchResponse | { released: number; handedOff: number };

/**
 * The timer-release function's work, for the three ways it is started:
 * - an SQS batch of wake-ups, each delayed to its message's due second: release it (or,
 *   if it came early, send it back with the remaining delay); failures are reported per
 *   record (`batchItemFailures`), so only they are retried, then dead-lettered;
 * - a bucket's one-time schedule, two minutes before the bucket's minute: hand every
 *   message due within that minute to SQS (earlier minutes are their own buckets' work);
 * - the `rate(1 minute)` sweep: release whatever is overdue (a missed wake-up), and hand
 *   SQS what falls due in the minute that comes into its look-ahead (a missed bucket).
 * Hand-offs page through the whole window, so a minute with many messages is handed off
 * entirely, and each window holds only entries new to it, so nothing is sent again every run.
 * Releases are idempotent, so any of these arriving twice appends nothing twice.
 */
export async function handleTimerEvent(event: unknown, deps: TimerReleaseDeps): Promise<TimerReleaseResult> {
  if (isSqsEvent(event)) return releaseWakeUps(event.Records, deps);
  if (isBucketEvent(event)) {
    const handedOff = await handOff(deps, bucketWindow(event.minute));
    metrics.addMetric('BucketHandedOff', MetricUnit.Count, handedOff);
    return { released: 0, handedOff };
  }
  if (isSweepEvent(event)) return sweep(deps);
  throw new Error('timer-release: not an SQS batch, a bucket event or a sweep event');
}

/** A bucket's own minute: due in [minute, minute + 1). */
export function bucketWindow(minute: number): DueWindow {
  return { after: minute * MINUTE_MS - 1, dueBy: (minute + 1) * MINUTE_MS - 1 };
}

/** The part of the sweep's look-ahead the previous sweep did not cover (plus the overlap). */
export function sweepWindow(now: number): DueWindow {
  const dueBy = now + SWEEP_LOOK_AHEAD_MS;
  return { after: dueBy - SWEEP_INTERVAL_MS - SWEEP_OVERLAP_MS, dueBy };
}

async function sweep(deps: TimerReleaseDeps): Promise<{ released: number; handedOff: number }> {
  const [releasing] = await Promise.allSettled([deps.broker.scheduled.releaseDue()]);
  // Handed off even when releasing failed: one transient error must not cost a minute of look-ahead.
  const handedOff = await handOff(deps, sweepWindow(deps.broker.clock.now()));
  metrics.addMetric('SweepHandedOff', MetricUnit.Count, handedOff);
  if (releasing.status === 'rejected') throw releasing.reason;
  const { released } = releasing.value;
  // Anything the sweep releases was missed by its wake-up: late by up to a minute.
  metrics.addMetric('ReleasedBySweep', MetricUnit.Count, released);
  if (released > 0) logger.warn('sweep released overdue delayed messages', { released });
  return { released, handedOff };
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
    // Taken once the message is in its queue: how late consumers could first see it.
    metrics.addMetric('ReleaseLatenessMs', MetricUnit.Milliseconds, Math.max(0, broker.clock.now() - held.dueAt));
  }
}

/** Sends SQS wake-ups for every held message due within `window`, a page at a time; returns how many. */
async function handOff(deps: TimerReleaseDeps, window: DueWindow): Promise<number> {
  let handedOff = 0;
  let cursor: DueCursor | undefined;
  do {
    const page = await deps.dueHeld.listDueHeldPage('DELAY', window, HAND_OFF_PAGE, cursor);
    if (page.entries.length > 0) await deps.wakeUps.send(page.entries, deps.broker.clock.now());
    handedOff += page.entries.length;
    cursor = page.cursor;
  } while (cursor);
  return handedOff;
}

function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as Partial<SQSEvent> | null)?.Records;
  return Array.isArray(records) && records.every((record) => record?.eventSource === 'aws:sqs');
}
