import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseWakeUp, type ReleaseWakeUp, type SqsWakeUps } from '../adapters/scheduler/index.ts';
import type { Broker } from '../core/broker.ts';
import type { CheckBackReport } from '../core/transaction-check-back.ts';
import { logger, metrics } from './observability.ts';
import { isCheckBackSweepEvent, SWEEP_MAX_CHECKER_CALLS } from './transaction-check-back-events.ts';

export interface CheckBackDeps {
  broker: Broker;
  /** The check-back queue: the next check of a transaction still undecided is a wake-up sent here. */
  wakeUps: SqsWakeUps;
}

export type CheckBackResult = SQSBatchResponse | CheckBackReport;

/**
 * The transaction-check-back function's work, for the two ways it is started:
 * - an SQS batch of wake-ups, one per half message, each delayed to its check time: check
 *   it (webhook or Lambda checker; roll it back when out of checks) and, if it is still
 *   undecided, send its next wake-up. An early wake-up goes back with the rest of its
 *   delay; one for a decided transaction is dropped. Failures are reported per record, so
 *   SQS retries only them; a retry finds the check already leased and only re-sends.
 * - the `rate(1 minute)` sweep: check whatever is overdue (a lost wake-up), at most
 *   SWEEP_MAX_CHECKER_CALLS calls, so a run fits the function's timeout.
 * Each check is leased in the store before the checker is called, so wake-ups and sweeps
 * arriving together check a transaction once.
 */
export async function handleCheckBackEvent(event: unknown, deps: CheckBackDeps): Promise<CheckBackResult> {
  if (isSqsEvent(event)) return checkWakeUps(event.Records, deps);
  if (isCheckBackSweepEvent(event)) {
    const report = await deps.broker.transactions.checkDue(SWEEP_MAX_CHECKER_CALLS);
    // Anything the sweep checks missed its wake-up: late by up to a minute.
    metrics.addMetric('ChecksBySweep', MetricUnit.Count, report.checked);
    if (report.checked > 0) logger.warn('check-back sweep checked overdue transactions', { ...report });
    return report;
  }
  throw new Error('transaction-check-back: not an SQS batch or a sweep event');
}

async function checkWakeUps(records: readonly SQSRecord[], deps: CheckBackDeps): Promise<SQSBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  await Promise.all(
    records.map(async (record) => {
      const wakeUp = parseWakeUp(record.body);
      if (!wakeUp) {
        // Not ours to retry: a malformed body would fail the same way every time.
        logger.error('transaction-check-back: dropped a malformed wake-up', { messageId: record.messageId });
        return;
      }
      try {
        await checkWakeUp(wakeUp, deps);
      } catch (error) {
        // Topic and msgId only: neither bodies nor checker settings (webhook secrets) are logged.
        logger.error('transaction-check-back: check failed, SQS retries it', {
          topic: wakeUp.topic,
          msgId: wakeUp.msgId,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
        metrics.addMetric('CheckBackFailures', MetricUnit.Count, 1);
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
}

async function checkWakeUp(wakeUp: ReleaseWakeUp, deps: CheckBackDeps): Promise<void> {
  const { broker } = deps;
  const outcome = await broker.transactions.checkOne(wakeUp.topic, wakeUp.msgId);
  if (outcome.checked) {
    metrics.addMetric('CheckBackLatenessMs', MetricUnit.Milliseconds, Math.max(0, broker.clock.now() - wakeUp.dueAt));
  }
  if (outcome.nextDueAt !== undefined) {
    await deps.wakeUps.send([{ ...wakeUp, dueAt: outcome.nextDueAt }], broker.clock.now());
  }
}

function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as Partial<SQSEvent> | null)?.Records;
  return Array.isArray(records) && records.every((record) => record?.eventSource === 'aws:sqs');
}
