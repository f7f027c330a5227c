import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { FunctionInvoker } from '../push/function-invoker.ts';
import { LambdaPushTarget } from '../push/lambda-push-target.ts';
import { type PushDriverReport, runPushDriver } from '../push/push-driver-run.ts';
import { sharedBroker } from './broker-from-env.ts';
import { lambdaHandler, logger, metrics } from './observability.ts';
import { PushDriverEventSchema } from './push-driver-event.ts';

/** A batch in flight must still be settled after the run window: stop receiving this long before the timeout. */
const SETTLE_RESERVE_MS = 30_000;
/** Long-poll per receive when a subscription polls continuously. */
const CONTINUOUS_WAIT_MS = 20_000;
/**
 * Body bytes all batches in flight may hold together, split evenly between them: a 256 MB
 * function holds bodies twice while it encodes them for the invocation (4 MiB bodies, 32
 * to a batch, would otherwise be 128 MiB per batch).
 */
export const PUSH_BODY_BYTES_IN_FLIGHT = 48 * 1024 * 1024;

/**
 * The push-deliver function: one run of one subscription, started by its schedule or
 * nudged by the push-stream function when messages arrive. Batches go to the subscribed
 * function through `invoker` (the Lambda Invoke API in production). While an earlier run
 * still has batches in flight, the run is skipped (metric `PushRunSkipped`); a skipped
 * nudge leaves a flag that the earlier run takes before it exits (src/push/push-driver-run.ts).
 * @example
 * export const handler = createPushDeliverHandler(awsLambdaInvoker());
 */
export function createPushDeliverHandler(invoker: FunctionInvoker) {
  return lambdaHandler<unknown, PushDriverReport>(async (event, context, signal) => {
    const { subscription, nudged } = PushDriverEventSchema.parse(event);
    const broker = await sharedBroker();
    const window = () => Math.min(subscription.runWindowMs, context.getRemainingTimeInMillis() - SETTLE_RESERVE_MS);
    const report = await runPushDriver(
      broker,
      {
        group: subscription.group,
        clientId: subscription.clientId,
        batchSize: subscription.batchSize,
        maxConcurrency: subscription.maxConcurrency,
        invisibleDurationMs: subscription.invisibleDurationMs,
      },
      new LambdaPushTarget(invoker, subscription.functionName),
      {
        deadline: Date.now() + Math.max(0, window()),
        waitMs: subscription.continuousPolling ? CONTINUOUS_WAIT_MS : 0,
        pollUntilDeadline: subscription.continuousPolling,
        maxBatchBodyBytes: Math.floor(PUSH_BODY_BYTES_IN_FLIGHT / subscription.maxConcurrency),
        signal,
      },
      {
        nudged: nudged ?? false,
        // Another window for nudges that came as one closed, while a full one still fits. A
        // continuously polling run saw them in its long polls; the schedule starts its next one.
        nextDeadline: () =>
          subscription.continuousPolling || window() < subscription.runWindowMs ? undefined : Date.now() + window(),
      },
    );
    metrics.addDimension('group', subscription.group);
    // A skipped run is the previous one still settling its batches: fine now and then, a stuck target if it lasts.
    metrics.addMetric('PushRunSkipped', MetricUnit.Count, report.skipped ? 1 : 0);
    metrics.addMetric('PushDelivered', MetricUnit.Count, report.delivered);
    metrics.addMetric('PushAcked', MetricUnit.Count, report.acked);
    metrics.addMetric('PushRetried', MetricUnit.Count, report.retried);
    metrics.addMetric('PushDeadLettered', MetricUnit.Count, report.deadLettered);
    metrics.addMetric('PushTargetErrors', MetricUnit.Count, report.targetErrors);
    if (report.skipped) {
      logger.info('push run skipped: an earlier run of the subscription is still delivering', {
        group: subscription.group,
      });
    } else if (report.lockLost) {
      logger.warn('push run outlived its lock; a later run took it over', { group: subscription.group, report });
    } else if (report.targetErrors > 0 || report.deadLettered > 0) {
      logger.warn('push delivery had failures', { group: subscription.group, report });
    } else if (report.delivered > 0) {
      logger.info('push delivery run', { group: subscription.group, report });
    }
    return report;
  });
}
