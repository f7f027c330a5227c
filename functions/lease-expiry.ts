import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { sharedBroker } from '../src/lambda/broker-from-env.ts';
import { lambdaHandler, logger, metrics } from '../src/lambda/observability.ts';

/**
 * Every minute (EventBridge Scheduler): dead-letters messages whose last delivery attempt
 * expired unacked, also in groups nobody receives from any more. Redelivery itself happens
 * on the next receive (pull) or push run.
 */
export const handler = lambdaHandler<unknown, { deadLettered: number }>(async () => {
  const deadLettered = await (await sharedBroker()).maintenance.deadLetterExhausted();
  metrics.addMetric('ExpiredLeasesDeadLettered', MetricUnit.Count, deadLettered);
  if (deadLettered > 0) logger.info('dead-lettered expired leases', { deadLettered });
  return { deadLettered };
});
