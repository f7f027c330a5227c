import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { sharedBroker } from '../src/lambda/broker-from-env.ts';
import { lambdaHandler, metrics } from '../src/lambda/observability.ts';

/**
 * Every five minutes (EventBridge Scheduler): publishes each clustering group's lag per topic
 * and the largest one, which the consumer-backlog alarm watches, and every group's stats per
 * topic (ready, in flight, oldest ready age, dead letters), as `GET /v1/groups/{group}/stats` answers them.
 */
export const handler = lambdaHandler<unknown, { maxLag: number; groups: number }>(async () => {
  const broker = await sharedBroker();
  const lags = await broker.backlog.consumerLag();
  for (const { group, topic, lag } of lags) {
    const single = metrics.singleMetric();
    single.addDimensions({ group, topic });
    single.addMetric('ConsumerBacklog', MetricUnit.Count, lag);
  }
  for (const group of await broker.catalog.listGroups()) {
    for (const stats of (await broker.stats.groupStats(group.name)).topics) {
      const single = metrics.singleMetric();
      single.addDimensions({ group: group.name, topic: stats.topic });
      single.addMetric('ReadyMessages', MetricUnit.Count, stats.ready);
      single.addMetric('InFlightMessages', MetricUnit.Count, stats.inFlight);
      single.addMetric('OldestReadyAge', MetricUnit.Milliseconds, stats.oldestReadyAgeMs);
      single.addMetric('DeadLetters', MetricUnit.Count, stats.deadLetters);
    }
  }
  const maxLag = Math.max(0, ...lags.map((entry) => entry.lag));
  metrics.addMetric('MaxConsumerBacklog', MetricUnit.Count, maxLag);
  return { maxLag, groups: new Set(lags.map((entry) => entry.group)).size };
});
