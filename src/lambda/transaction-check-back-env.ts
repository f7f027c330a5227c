import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsWakeUps } from '../adapters/scheduler/index.ts';
import { WebhookChecker } from '../adapters/webhook/webhook-checker.ts';
import type { ReleaseScheduler } from '../core/ports/timers.ts';
import type { TransactionChecker } from '../core/ports/transaction-checker.ts';
import { awsLambdaInvoker } from '../push/function-invoker.ts';
import { checkerByType, LambdaTransactionChecker } from '../push/lambda-transaction-checker.ts';
import { logger, metrics } from './observability.ts';
import { CHECKER_CALL_TIMEOUT_MS } from './transaction-check-back-events.ts';

/**
 * How a function takes part in check-back (the stack sets these): NIMBUS_CHECK_QUEUE_URL
 * on functions that hold half messages (their first check is arranged by an SQS wake-up)
 * and on the check-back function (which arranges the next one); NIMBUS_CALLS_CHECKERS
 * only on the check-back function, the one function allowed to call checkers.
 */
export interface CheckBackSettings {
  queueUrl?: string;
  callsCheckers: boolean;
}

export function checkBackSettings(env: Readonly<Record<string, string | undefined>> = process.env): CheckBackSettings {
  const queueUrl = env['NIMBUS_CHECK_QUEUE_URL'];
  return { ...(queueUrl ? { queueUrl } : {}), callsCheckers: env['NIMBUS_CALLS_CHECKERS'] === 'true' };
}

let sqs: SQSClient | undefined;

/** The check-back queue's wake-up sender (the same wake-up shape as delayed messages'). */
export function checkWakeUps(queueUrl: string): SqsWakeUps {
  sqs ??= new SQSClient({});
  return new SqsWakeUps(sqs, queueUrl);
}

/**
 * The broker dependencies of transactions on AWS: the wake-up of a half message's first
 * check (an SQS message delayed to it; one due later than SQS's 15 minutes arrives early
 * and the check-back function sends it on with the rest of the delay) and, on the check-back function, the webhook and Lambda checkers, each
 * call bounded by CHECKER_CALL_TIMEOUT_MS.
 */
export function transactionDeps(
  settings: CheckBackSettings,
  now: () => number,
): { checkScheduler?: ReleaseScheduler; transactionChecker?: TransactionChecker } {
  const timeout = { timeoutMs: CHECKER_CALL_TIMEOUT_MS };
  return {
    ...(settings.queueUrl ? { checkScheduler: wakeUpScheduler(checkWakeUps(settings.queueUrl), now) } : {}),
    ...(settings.callsCheckers
      ? {
          transactionChecker: checkerByType({
            webhook: new WebhookChecker(timeout),
            lambda: new LambdaTransactionChecker(awsLambdaInvoker(), timeout),
          }),
        }
      : {}),
  };
}

/**
 * Wake-ups straight to SQS at any distance: the check-back function forwards early ones. A
 * failure leaves a trace (a warning with counts and topics, never bodies, and
 * `CheckWakeUpFailures`); the half message is held already and the minute sweep checks it.
 */
function wakeUpScheduler(wakeUps: SqsWakeUps, now: () => number): ReleaseScheduler {
  return {
    async schedule(due) {
      try {
        await wakeUps.send(due, now());
      } catch (error) {
        logger.warn('transactions: first check-back not arranged, the sweep checks late', {
          transactions: due.length,
          topics: [...new Set(due.map((entry) => entry.topic))],
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
        metrics.addMetric('CheckWakeUpFailures', MetricUnit.Count, due.length);
        throw error;
      }
    },
  };
}
