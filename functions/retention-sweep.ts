import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { sharedBroker } from '../src/lambda/broker-from-env.ts';
import { lambdaHandler, logger, metrics } from '../src/lambda/observability.ts';

/** Hourly (EventBridge Scheduler): physically removes expired messages and their large bodies. */
export const handler = lambdaHandler<unknown, { removed: number }>(async () => {
  const broker = await sharedBroker();
  const removed = await broker.maintenance.sweepRetention();
  metrics.addMetric('RetentionSweptMessages', MetricUnit.Count, removed);
  logger.info('retention sweep', { removed });
  return { removed };
});
