import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { sharedBroker } from '../src/lambda/broker-from-env.ts';
import { lambdaHandler, metrics } from '../src/lambda/observability.ts';

/**
 * Every five minutes (EventBridge Scheduler): publishes each clustering group's lag per topic
 * and the largest one, which the consumer-backlog alarm watches.
 */
export const handler = lambdaHandler<unknown, { maxLag: number; groups: number }>(async () => {
  const lags = await (await sharedBroker()).backlog.consumerLag();
  for (const { group, topic, lag } of lags) {
    const single = metrics.singleMetric();
    single.addDimensions({ group, topic });
    single.addMetric('ConsumerBacklog', MetricUnit.Count, lag);
  }
  const maxLag = Math.max(0, ...lags.map((entry) => entry.lag));
  metrics.addMetric('MaxConsumerBacklog', MetricUnit.Count, maxLag);
  return { maxLag, groups: new Set(lags.map((entry) => entry.group)).size };
});
