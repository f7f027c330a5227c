import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarmAction,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Custom metrics the functions publish (Powertools, embedded metric format). */
export const METRICS_NAMESPACE = 'NimbusMQ';
export const SERVICE_DIMENSION = { service: 'nimbus-mq' };
export const PUSH_METRICS = [
  'PushDelivered',
  'PushAcked',
  'PushRetried',
  'PushDeadLettered',
  'PushTargetErrors',
] as const;

const PERIOD = Duration.minutes(5);

export interface NimbusMonitoringProps {
  /** Messages a consumer group may lag behind before the backlog alarm fires. */
  backlogThreshold: number;
  alarmActions: readonly IAlarmAction[];
}

/**
 * Alarms and one dashboard: function errors and throttles, dead-letter queue depth,
 * consumer backlog, API server errors, push delivery. Parts register as they are built.
 */
export class NimbusMonitoring extends Construct {
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];
  private readonly alarmActions: readonly IAlarmAction[];
  private readonly invocations = new GraphWidget({ title: 'Function invocations' });
  private readonly failures = new GraphWidget({ title: 'Function errors (left) and throttles (right)' });
  private readonly durations = new GraphWidget({ title: 'Function duration p99 (ms)' });
  private readonly queues = new GraphWidget({ title: 'Dead-letter queues (messages)' });
  private readonly push = new GraphWidget({ title: 'Push delivery (messages)' });

  constructor(scope: Construct, id: string, props: NimbusMonitoringProps) {
    super(scope, id);
    this.alarmActions = props.alarmActions;
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const backlog = consumerBacklogMetric();
    this.alarm('consumer-backlog', backlog, props.backlogThreshold, 'a consumer group lags behind its topics', 3);
    this.dashboard.addWidgets(new GraphWidget({ title: 'Consumer backlog (largest group lag)', left: [backlog] }));
    this.dashboard.addWidgets(this.invocations, this.failures, this.durations);
    this.dashboard.addWidgets(this.queues, this.push);
  }

  /** Alarms on the function's errors and throttles; graphs its invocations and duration. */
  watchFunction(name: string, fn: IFunction): void {
    // Alarms take the plain metrics; the dashboard the same metrics with a label.
    this.alarm(
      `${name}-errors`,
      fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      1,
      `${name}: invocations failed`,
    );
    this.alarm(`${name}-throttles`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }), 1, `${name}: throttled`);
    this.invocations.addLeftMetric(fn.metricInvocations({ period: PERIOD, label: name }));
    this.failures.addLeftMetric(fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: name }));
    this.failures.addRightMetric(fn.metricThrottles({ period: PERIOD, statistic: 'Sum', label: name }));
    this.durations.addLeftMetric(fn.metricDuration({ period: PERIOD, statistic: 'p99', label: name }));
  }

  /** Alarms as soon as a dead-letter queue holds a message. */
  watchDeadLetterQueue(name: string, queue: IQueue): void {
    const depth = (label?: string) =>
      queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label });
    this.alarm(`${name}-depth`, depth(), 1, `${name}: failed asynchronous work is waiting in the dead-letter queue`);
    this.queues.addLeftMetric(depth(name));
  }

  watchApi(api: HttpApi): void {
    const serverErrors = api.metricServerError({ period: PERIOD, statistic: 'Sum', label: '5xx' });
    this.alarm(
      'api-server-errors',
      api.metricServerError({ period: PERIOD, statistic: 'Sum' }),
      5,
      'the API answered 5xx',
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'API requests (left) and errors (right)',
        left: [api.metricCount({ period: PERIOD, label: 'requests' })],
        right: [api.metricClientError({ period: PERIOD, label: '4xx' }), serverErrors],
      }),
      new GraphWidget({
        title: 'API latency p99 (ms)',
        left: [api.metricLatency({ period: PERIOD, statistic: 'p99', label: 'latency' })],
      }),
    );
  }

  /** Graphs a push subscription's counters and alarms when it dead-letters messages. */
  watchPushSubscription(id: string, group: string): Alarm {
    for (const name of PUSH_METRICS) this.push.addLeftMetric(pushMetric(name, group));
    return this.alarm(
      `push-${id}-dead-lettered`,
      pushMetric('PushDeadLettered', group, false),
      1,
      `push subscription of group ${group} moved messages to the dead-letter queue`,
    );
  }

  /** An alarm on `metric` >= `threshold` for `periods` periods, notifying the alarm actions. */
  alarm(id: string, metric: IMetric, threshold: number, description: string, periods = 1): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: periods,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `Nimbus MQ: ${description}`,
    });
    alarm.addAlarmAction(...this.alarmActions);
    this.alarms.push(alarm);
    return alarm;
  }
}

/** The largest lag of any consumer group, published by the backlog-metrics function. */
export function consumerBacklogMetric(): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: 'MaxConsumerBacklog',
    dimensionsMap: SERVICE_DIMENSION,
    period: PERIOD,
    statistic: 'Maximum',
  });
}

/** A push-delivery counter of one subscribed group, published by the push-deliver function. */
export function pushMetric(metricName: string, group: string, labelled = true): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { ...SERVICE_DIMENSION, group },
    period: PERIOD,
    statistic: 'Sum',
    label: labelled ? `${group} ${metricName}` : undefined,
  });
}
