import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarmAction,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
  Unit,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Operation, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * Custom metrics the functions publish (Powertools, embedded metric format) go to one
 * namespace per deployment, `NimbusMQ/<table prefix>`: two deployments in one account and
 * region (stages, or two constructs) would otherwise add up each other's backlog, sealed
 * offsets and push counters, and each one's alarms would fire on the other's traffic. The
 * table prefix is the deployment's name already, unique in the account and region because
 * table names are.
 */
export const METRICS_NAMESPACE_ROOT = 'NimbusMQ';
export const SERVICE_DIMENSION = { service: 'nimbus-mq' };

/**
 * The metric namespace of the deployment whose tables are named `<tablePrefix>-...`.
 * @example
 * metricsNamespace('nimbusstaging-nimbus'); // 'NimbusMQ/nimbusstaging-nimbus'
 */
export function metricsNamespace(tablePrefix: string): string {
  // Table names allow [a-zA-Z0-9_.-], all of which CloudWatch namespaces allow too.
  return `${METRICS_NAMESPACE_ROOT}/${tablePrefix}`;
}
export const PUSH_METRICS = [
  'PushDelivered',
  'PushAcked',
  'PushRetried',
  'PushDeadLettered',
  'PushTargetErrors',
] as const;

/** Published by src/lambda/observability.ts (named in src/lambda/sealed-offsets.ts; test/cdk checks they agree). */
export const SEALED_OFFSETS_METRIC = 'SealedOffsets';
/** Taken from the API's access log by a metric filter. */
export const API_LATENCY_METRIC = 'ApiLatencyWithoutLongPolls';

export interface ApiAlarmOptions {
  /** The long-poll route key (`POST /v1/groups/{group}/receive`), left out of the latency metric. */
  longPollRoute: string;
  latencyThresholdMs: number;
}

const PERIOD = Duration.minutes(5);

/**
 * Throttled DynamoDB requests per table and 5 minutes before the alarm fires. The store
 * retries throttling itself, so a few are normal on a hot queue; this many means a partition
 * or the table is over its limit long enough for callers to start seeing 503s.
 */
const THROTTLED_REQUESTS_THRESHOLD = 25;
/** A function's longest invocation in 5 minutes at this share of its timeout fires the alarm. */
const NEAR_TIMEOUT_SHARE = 0.9;

export interface NimbusMonitoringProps {
  /** The namespace of this deployment's custom metrics, from metricsNamespace(). */
  namespace: string;
  /** Messages a consumer group may lag behind before the backlog alarm fires. */
  backlogThreshold: number;
  alarmActions: readonly IAlarmAction[];
}

/**
 * Alarms and one dashboard: function errors, throttles and durations near the timeout,
 * dead-letter queue depth, consumer backlog, sealed offsets, API error rates and latency,
 * DynamoDB throttling and errors, push delivery. Parts register as they are built.
 */
export class NimbusMonitoring extends Construct {
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];
  /** Where this deployment's functions publish (their POWERTOOLS_METRICS_NAMESPACE) and its alarms look. */
  readonly namespace: string;
  private readonly alarmActions: readonly IAlarmAction[];
  private readonly invocations = new GraphWidget({ title: 'Function invocations' });
  private readonly failures = new GraphWidget({ title: 'Function errors (left) and throttles (right)' });
  private readonly durations = new GraphWidget({ title: 'Function duration p99 (ms)' });
  private readonly queues = new GraphWidget({ title: 'Dead-letter queues (messages)' });
  private readonly push = new GraphWidget({ title: 'Push delivery (messages)' });
  private readonly tables = new GraphWidget({ title: 'DynamoDB throttled requests (left) and system errors (right)' });

  constructor(scope: Construct, id: string, props: NimbusMonitoringProps) {
    super(scope, id);
    this.alarmActions = props.alarmActions;
    this.namespace = props.namespace;
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const backlog = this.metric('MaxConsumerBacklog', 'Maximum');
    this.alarm('consumer-backlog', backlog, props.backlogThreshold, 'a consumer group lags behind its topics', 3);
    const sealed = this.metric(SEALED_OFFSETS_METRIC, 'Sum');
    // Sealing skips offsets a writer reserved and never wrote: not a loss (that send failed), but a failing writer.
    this.alarm('sealed-offsets', sealed, 1, 'a reader sealed queue offsets that a writer reserved and never wrote');
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Consumer backlog (largest group lag)', left: [backlog] }),
      new GraphWidget({ title: 'Sealed queue offsets', left: [sealed] }),
    );
    this.dashboard.addWidgets(this.invocations, this.failures, this.durations);
    this.dashboard.addWidgets(this.queues, this.push, this.tables);
  }

  /** Alarms on the function's errors, throttles and durations near its timeout; graphs invocations and duration. */
  watchFunction(name: string, fn: IFunction, timeout: Duration): void {
    const nearTimeoutMs = Math.floor(timeout.toMilliseconds() * NEAR_TIMEOUT_SHARE);
    this.alarm(
      `${name}-near-timeout`,
      fn.metricDuration({ period: PERIOD, statistic: 'Maximum' }),
      nearTimeoutMs,
      `${name}: an invocation took ${nearTimeoutMs} ms or more, close to its ${timeout.toSeconds()} s timeout`,
    );
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

  /**
   * Alarms on the API's 5xx and 4xx rates and on its latency without long-polls. API
   * Gateway's own Latency metric mixes in receives that wait up to 20 s by design, so the
   * latency alarm watches a metric taken from the access log of every other route.
   */
  watchApi(api: HttpApi, accessLogs: ILogGroup, options: ApiAlarmOptions): void {
    const requests = api.metricCount({ period: PERIOD, statistic: 'Sum' });
    const rate = (errors: IMetric, minimum: number, label: string) =>
      new MathExpression({
        // A rate only once there are `minimum` errors: one failure among three requests is not an outage.
        expression: `IF(errors >= ${minimum}, 100 * errors / requests, 0)`,
        usingMetrics: { errors, requests },
        period: PERIOD,
        label,
      });
    const serverErrors = api.metricServerError({ period: PERIOD, statistic: 'Sum' });
    const clientErrors = api.metricClientError({ period: PERIOD, statistic: 'Sum' });
    this.alarm(
      'api-5xx-rate',
      rate(serverErrors, 5, '5xx %'),
      1,
      'at least 1% of API requests (and 5 or more) answered 5xx',
    );
    this.alarm(
      'api-4xx-rate',
      rate(clientErrors, 20, '4xx %'),
      25,
      'at least 25% of API requests (and 20 or more) answered 4xx: callers without access, or calling a wrong endpoint',
    );
    const latency = new MetricFilter(this, 'ApiLatencyFilter', {
      logGroup: accessLogs,
      metricNamespace: this.namespace,
      metricName: API_LATENCY_METRIC,
      filterPattern: FilterPattern.stringValue('$.route', '!=', options.longPollRoute),
      metricValue: '$.latencyMs',
      unit: Unit.MILLISECONDS,
    }).metric({ period: PERIOD, statistic: 'p95' });
    this.alarm(
      'api-latency',
      latency,
      options.latencyThresholdMs,
      `API latency p95 (every route but the long-poll) at ${options.latencyThresholdMs} ms or more for 15 minutes`,
      3,
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'API requests (left) and errors (right)',
        left: [api.metricCount({ period: PERIOD, label: 'requests' })],
        right: [
          api.metricClientError({ period: PERIOD, label: '4xx' }),
          api.metricServerError({ period: PERIOD, label: '5xx' }),
        ],
      }),
      new GraphWidget({
        title: 'API latency without long-polls, p50 and p95 (ms)',
        left: [latency.with({ statistic: 'p50', label: 'p50' }), latency.with({ label: 'p95' })],
      }),
    );
  }

  /**
   * Alarms on a table's throttled requests and on DynamoDB's own errors (5xx) for it, summed
   * over `operations` (the metrics exist per operation; each one is billed as an alarm metric).
   */
  watchTable(name: string, table: Table, operations: readonly Operation[]): void {
    const options = { operations: [...operations], period: PERIOD };
    this.alarm(
      `table-${name}-throttled`,
      table.metricThrottledRequestsForOperations(options),
      THROTTLED_REQUESTS_THRESHOLD,
      `DynamoDB throttled ${THROTTLED_REQUESTS_THRESHOLD} or more requests to the ${name} table in 5 minutes`,
    );
    this.alarm(
      `table-${name}-system-errors`,
      table.metricSystemErrorsForOperations(options),
      1,
      `DynamoDB answered internal errors for the ${name} table`,
    );
    // The per-operation sums above reuse metric ids per table, so the graphs search instead.
    const search = (metricName: string) =>
      new MathExpression({
        expression: `SUM(SEARCH('{AWS/DynamoDB,Operation,TableName} MetricName="${metricName}" TableName="${table.tableName}"', 'Sum', 300))`,
        usingMetrics: {},
        label: `${name} ${metricName}`,
        period: PERIOD,
      });
    this.tables.addLeftMetric(search('ThrottledRequests'));
    this.tables.addRightMetric(search('SystemErrors'));
  }

  /** Graphs a push subscription's counters and alarms when it dead-letters messages. */
  watchPushSubscription(id: string, group: string): Alarm {
    for (const name of PUSH_METRICS) {
      this.push.addLeftMetric(this.metric(name, 'Sum', { group }).with({ label: `${group} ${name}` }));
    }
    return this.alarm(
      `push-${id}-dead-lettered`,
      this.metric('PushDeadLettered', 'Sum', { group }),
      1,
      `push subscription of group ${group} moved messages to the dead-letter queue`,
    );
  }

  /**
   * A custom metric of this deployment over 5 minutes: its namespace, the service dimension
   * every function publishes with, and `dimensions` a handler adds (push: the group).
   * @example
   * monitoring.alarm('late', monitoring.metric('ReleaseLatenessMs', 'p99'), 60_000, 'releases are late');
   */
  metric(metricName: string, statistic: string, dimensions: Record<string, string> = {}): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName,
      dimensionsMap: { ...SERVICE_DIMENSION, ...dimensions },
      period: PERIOD,
      statistic,
    });
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
