import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { TableId } from '../src/adapters/dynamodb/table-definitions.ts';
import { RECEIVE_ROUTE } from './api-routes.ts';
import { CONSOLE_FUNCTION } from './console-function.ts';
import { grantDataAccess, grantSecretKeyAccess, tableOperations } from './data-access.ts';
import { DelayedDelivery } from './delayed-delivery.ts';
import type { FunctionName } from './function-bundling.ts';
import { FUNCTION_MEMORY_MB } from './function-memory.ts';
import { NimbusHttpApi } from './http-api.ts';
import { InvokeLatest } from './invoke-latest.ts';
import { LambdaSubscription, type LambdaSubscriptionOptions } from './lambda-subscription.ts';
import { metricsNamespace, NimbusMonitoring } from './monitoring.ts';
import {
  acknowledgeBodyAccess,
  acknowledgeBodyBucket,
  acknowledgeSchedulerDeadLetterQueue,
} from './nag-acknowledgements.ts';
import { NimbusFunction, type NimbusFunctionProps } from './nimbus-function.ts';
import { PushStreamTrigger } from './push-stream-trigger.ts';
import { NimbusTables } from './tables.ts';
import { CHECK_BACK_MAX_CONCURRENCY, TransactionCheckBack } from './transactions.ts';

export interface NimbusMqProps {
  /** Table names are `<tablePrefix>-messages` etc. @default `<stack name>-<construct id>`, lower case */
  tablePrefix?: string;
  /**
   * What happens to tables, bucket and logs when the stack is deleted. @default RETAIN
   * (tables also get deletion protection); use DESTROY for throwaway environments.
   */
  removalPolicy?: RemovalPolicy;
  /** Messages a consumer group may lag behind before the backlog alarm fires. @default 10_000 */
  backlogAlarmThreshold?: number;
  /** Where alarms notify (e.g. an SNS topic action). @default none */
  alarmActions?: IAlarmAction[];
  /** @default one month */
  logRetention?: RetentionDays;
  /** API Gateway stage throttling, requests per second. @default 1,000 steady, 2,000 burst */
  apiThrottle?: { rateLimit: number; burstLimit: number };
  /**
   * Lambda concurrency reserved for the API functions, so that 20 s long-polls cannot take
   * the account's whole concurrency and starve `send`: `send` is guaranteed its share and
   * `consume-pull` (receive, ack, nack) is capped at its own. `'unreserved'` reserves
   * nothing (accounts whose concurrency quota is below the sum plus the 100 Lambda keeps
   * unreserved, e.g. new accounts with a quota of 10). @default DEFAULT_RESERVED_CONCURRENCY
   */
  reservedConcurrency?: ReservedConcurrency | 'unreserved';
  /** p95 latency of the API (every route but the long-poll) that fires the latency alarm. @default 1,500 ms */
  apiLatencyAlarmMs?: number;
  /** Memory (MB) per function, to override the measured defaults. @default FUNCTION_MEMORY_MB */
  memorySize?: Partial<Record<FunctionName, number>>;
  /**
   * Checker functions of `lambda` producer groups: the check-back function may invoke these
   * and no other (more with `grantTransactionChecker`). @default none
   */
  transactionCheckers?: IFunction[];
}

export interface ReservedConcurrency {
  /** Concurrent `send` invocations guaranteed (and the most it runs). */
  send: number;
  /** Concurrent receive/ack/nack invocations at most: the number of consumers long-polling at once, plus headroom. */
  consumePull: number;
}

/**
 * 100 sends in flight carry 2,500 single sends/s at 40 ms each (the API's stage limit is
 * 1,000 requests/s); 200 consume-pull invocations serve about 150 consumers long-polling
 * at once with room for their acks. Together 300 of the default account quota of 1,000.
 */
export const DEFAULT_RESERVED_CONCURRENCY: ReservedConcurrency = { send: 100, consumePull: 200 };

/** Longest message retention (72 h): stored bodies are never needed after it. */
const BODY_LIFETIME = Duration.days(3);

/**
 * Nimbus MQ on AWS, as one construct other CDK apps can embed: DynamoDB tables, the S3
 * bucket for large bodies, the Lambda functions behind an IAM-authenticated HTTP API,
 * scheduled background work, dead-letter queues, alarms and a dashboard.
 * @example
 * const mq = new NimbusMq(this, 'Queue', { removalPolicy: RemovalPolicy.DESTROY });
 * mq.subscribeLambda('Billing', billingFunction, { group: 'billing', batchSize: 10 });
 * mq.grantApiAccess(myServiceRole);
 */
export class NimbusMq extends Construct {
  readonly tables: NimbusTables;
  readonly bodyBucket: Bucket;
  /** Seals producer groups' webhook secrets (KMS Encrypt/Decrypt with the group as context); rotated yearly. */
  readonly secretKey: Key;
  readonly httpApi: NimbusHttpApi;
  readonly monitoring: NimbusMonitoring;
  readonly functions: Partial<Record<FunctionName, NimbusFunction>> = {};
  /** Scheduler events that could not be delivered to their function. */
  readonly schedulerDeadLetterQueue: Queue;
  /** Every SQS dead-letter queue by id: the scheduler's and one per background function. */
  readonly deadLetterQueues: Record<string, Queue> = {};
  /** Delayed messages: the wake-up queue, bucket schedules, the sweep (lib/delayed-delivery.ts). */
  readonly delayedDelivery: DelayedDelivery;
  /** Transactions: the check-back wake-up queue, sweep and checker grants (lib/transactions.ts). */
  readonly transactionCheckBack: TransactionCheckBack;
  /** The HTTPS endpoint of the API. */
  readonly apiUrl: string;

  private readonly props: Required<
    Omit<NimbusMqProps, 'apiThrottle' | 'reservedConcurrency' | 'memorySize' | 'transactionCheckers'>
  >;
  private readonly memorySize: Record<FunctionName, number>;
  /** Subscription ids by the group lane they deliver. */
  private readonly subscribedLanes = new Map<string, string>();
  private readonly environment: Record<string, string>;
  /** Nudges subscriptions from the messages stream; made with the first subscription. */
  private pushStream: PushStreamTrigger | undefined;

  constructor(scope: Construct, id: string, props: NimbusMqProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.props = {
      tablePrefix: props.tablePrefix ?? `${Stack.of(this).stackName}-${id}`.toLowerCase(),
      removalPolicy,
      backlogAlarmThreshold: props.backlogAlarmThreshold ?? 10_000,
      alarmActions: props.alarmActions ?? [],
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      apiLatencyAlarmMs: props.apiLatencyAlarmMs ?? 1_500,
    };
    this.memorySize = { ...FUNCTION_MEMORY_MB, ...props.memorySize };
    const reserved =
      props.reservedConcurrency === 'unreserved'
        ? undefined
        : (props.reservedConcurrency ?? DEFAULT_RESERVED_CONCURRENCY);
    this.tables = new NimbusTables(this, 'Tables', { tablePrefix: this.props.tablePrefix, removalPolicy });
    this.bodyBucket = new Bucket(this, 'Bodies', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: BODY_LIFETIME, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy,
    });
    acknowledgeBodyBucket(this.bodyBucket);
    // Retained like the tables: without it, the sealed secrets in the state table are lost.
    this.secretKey = new Key(this, 'SecretKey', {
      description: 'Nimbus MQ: webhook secrets of producer groups',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.environment = {
      NIMBUS_TABLE_PREFIX: this.props.tablePrefix,
      NIMBUS_BODY_BUCKET: this.bodyBucket.bucketName,
    };
    this.monitoring = new NimbusMonitoring(this, 'Monitoring', {
      namespace: metricsNamespace(this.props.tablePrefix),
      backlogThreshold: this.props.backlogAlarmThreshold,
      alarmActions: this.props.alarmActions,
    });
    this.schedulerDeadLetterQueue = this.deadLetterQueue('SchedulerDlq');
    acknowledgeSchedulerDeadLetterQueue(this.schedulerDeadLetterQueue);

    const send = this.addFunction('send', {
      description: 'Nimbus MQ: send messages',
      timeout: Duration.seconds(10),
      reservedConcurrentExecutions: reserved?.send,
    });
    const consume = this.addFunction('consume-pull', {
      description: 'Nimbus MQ: receive (long-poll), ack, nack, change invisible duration',
      // API Gateway waits at most 30 s; a 20 s long-poll plus settling fits.
      timeout: Duration.seconds(29),
      reservedConcurrentExecutions: reserved?.consumePull,
    });
    const admin = this.addFunction('admin', {
      description: 'Nimbus MQ: topics, groups, dead letters, OpenAPI',
      timeout: Duration.seconds(29),
    });
    const commit = this.addFunction('transaction-commit', {
      description: 'Nimbus MQ: commit and roll back transactional messages',
      timeout: Duration.seconds(10),
    });
    this.httpApi = new NimbusHttpApi(this, 'Http', {
      functions: {
        send: send.function,
        'consume-pull': consume.function,
        admin: admin.function,
        'transaction-commit': commit.function,
      },
      logRetention: this.props.logRetention,
      removalPolicy,
      rateLimit: props.apiThrottle?.rateLimit,
      burstLimit: props.apiThrottle?.burstLimit,
    });
    this.httpApi.serveConsole(this.addFunction('console', CONSOLE_FUNCTION).function);
    this.apiUrl = this.httpApi.url;
    this.monitoring.watchApi(this.httpApi.api, this.httpApi.accessLogs, {
      longPollRoute: `${RECEIVE_ROUTE.method} ${RECEIVE_ROUTE.path}`,
      latencyThresholdMs: this.props.apiLatencyAlarmMs,
    });
    for (const [id, table] of Object.entries(this.tables.tables) as [TableId, Table][]) {
      this.monitoring.watchTable(id, table, tableOperations(id));
    }

    const sweep = this.addFunction('retention-sweep', {
      description: 'Nimbus MQ: remove expired messages and their bodies',
      timeout: Duration.minutes(5),
      deadLetterQueue: this.deadLetterQueue('RetentionSweepDlq'),
      retryAttempts: 2,
    });
    this.schedule('RetentionSweepSchedule', sweep.function, ScheduleExpression.rate(Duration.hours(1)));
    const backlog = this.addFunction('backlog-metrics', {
      description: 'Nimbus MQ: publish consumer group backlog metrics',
      timeout: Duration.minutes(1),
      deadLetterQueue: this.deadLetterQueue('BacklogMetricsDlq'),
      // Metrics of a missed run are stale by the next one, five minutes later.
      retryAttempts: 0,
    });
    this.schedule('BacklogMetricsSchedule', backlog.function, ScheduleExpression.rate(Duration.minutes(5)));
    const leaseExpiry = this.addFunction('lease-expiry', {
      description: 'Nimbus MQ: dead-letter messages whose last delivery attempt expired unacked',
      timeout: Duration.minutes(1),
      deadLetterQueue: this.deadLetterQueue('LeaseExpiryDlq'),
      // The next run, a minute later, does the same work.
      retryAttempts: 0,
    });
    this.schedule('LeaseExpirySchedule', leaseExpiry.function, ScheduleExpression.rate(Duration.minutes(1)));

    const timer = this.addFunction('timer-release', {
      description: 'Nimbus MQ: release delayed messages when due (SQS wake-ups, bucket schedules, minute sweep)',
      timeout: Duration.minutes(1),
      deadLetterQueue: this.deadLetterQueue('TimerReleaseDlq'),
      // Scheduler events: the sweep a minute later covers a failed run.
      retryAttempts: 0,
    });
    this.delayedDelivery = new DelayedDelivery(this, 'DelayedDelivery', {
      timer,
      senders: [send],
      namePrefix: this.props.tablePrefix,
      deadLetterQueue: this.deadLetterQueues['TimerReleaseDlq'] as Queue,
      schedulerDeadLetterQueue: this.schedulerDeadLetterQueue,
      monitoring: this.monitoring,
    });

    const checkBack = this.addFunction('transaction-check-back', {
      description: 'Nimbus MQ: check back undecided transactions with their producers (webhook, Lambda)',
      // Ten checks of a batch run at once, each bounded by CHECKER_CALL_TIMEOUT_MS (5 s).
      timeout: Duration.minutes(1),
      deadLetterQueue: this.deadLetterQueue('TransactionCheckBackDlq'),
      // Room for the SQS event source's invocations and the sweep: checkers are never flooded.
      reservedConcurrentExecutions: reserved ? CHECK_BACK_MAX_CONCURRENCY + 1 : undefined,
      // Scheduler events: the sweep a minute later covers a failed run.
      retryAttempts: 0,
    });
    this.transactionCheckBack = new TransactionCheckBack(this, 'Transactions', {
      checkBack,
      holders: [send],
      deadLetterQueue: this.deadLetterQueues['TransactionCheckBackDlq'] as Queue,
      schedulerDeadLetterQueue: this.schedulerDeadLetterQueue,
      checkerFunctions: props.transactionCheckers ?? [],
      monitoring: this.monitoring,
    });
  }

  /**
   * Lets the check-back function invoke a `lambda` producer group's checker function.
   * Register the group with this function's name or unqualified ARN.
   * @example
   * mq.grantTransactionChecker(paymentsCheckerFunction);
   */
  grantTransactionChecker(checker: IFunction): void {
    this.transactionCheckBack.grantChecker(checker);
  }

  /**
   * Delivers a consumer group's messages to a Lambda function in batches: ack on success,
   * retry with RocketMQ's backoff and the group's dead-letter queue on failure, failures
   * reported per message (`batchItemFailures`, as for SQS). Create the group first. One
   * subscription per group (per client id for broadcasting groups): its runs hold the
   * group's push lock, so a second one on the same group would only take turns with it.
   * @example
   * mq.subscribeLambda('Billing', billingFn, { group: 'billing', batchSize: 10, maxConcurrency: 4 });
   */
  subscribeLambda(id: string, target: IFunction, options: LambdaSubscriptionOptions): LambdaSubscription {
    const lane = options.clientId === undefined ? options.group : `${options.group}@${options.clientId}`;
    const existing = this.subscribedLanes.get(lane);
    if (existing !== undefined) {
      throw new Error(
        `Group "${lane}" already has the Lambda subscription "${existing}": a group delivers to one ` +
          'function (a broadcasting group to one per clientId).',
      );
    }
    const driver = this.functions['push-deliver'] ?? this.addPushDriver();
    const subscription = new LambdaSubscription(this, id, {
      ...options,
      target,
      driver: driver.function,
      schedulerDeadLetterQueue: this.schedulerDeadLetterQueue,
      monitoring: this.monitoring,
    });
    this.subscribedLanes.set(lane, id);
    this.pushStream ??= this.addPushStream(driver.function);
    this.pushStream.subscribe(subscription.driverEvent.subscription);
    return subscription;
  }

  /**
   * Lets a principal call the API (IAM auth): an application's role, a CI user.
   * @example
   * mq.grantApiAccess(myServiceRole);
   */
  grantApiAccess(grantee: IGrantable): Grant {
    return this.httpApi.grantInvoke(grantee);
  }

  private addPushDriver(): NimbusFunction {
    const driver = this.addFunction('push-deliver', {
      description: 'Nimbus MQ: push delivery of consumer groups to subscribed functions',
      // A run receives for 50 s, then waits for batches in flight (bounded by the targets' timeouts).
      timeout: Duration.minutes(15),
      deadLetterQueue: this.deadLetterQueue('PushDeliverDlq'),
      // A failed run is not retried: the subscription's schedule starts the next one a minute later.
      retryAttempts: 0,
    });
    return driver;
  }

  private addPushStream(driver: IFunction): PushStreamTrigger {
    const fn = this.addFunction('push-stream', {
      description: 'Nimbus MQ: starts push delivery when subscribed topics get new messages',
      // Reads a few group records and queues one asynchronous start per subscription.
      timeout: Duration.seconds(30),
    });
    return new PushStreamTrigger(this, 'PushStreamTrigger', {
      streamFunction: fn.function,
      driver,
      messages: this.tables.tables.messages,
    });
  }

  private addFunction(
    name: FunctionName,
    props: Omit<NimbusFunctionProps, 'name' | 'environment' | 'metricsNamespace'>,
  ): NimbusFunction {
    const fn = new NimbusFunction(this, pascal(name), {
      name,
      environment: this.environment,
      metricsNamespace: this.monitoring.namespace,
      memorySize: this.memorySize[name],
      logRetention: this.props.logRetention,
      removalPolicy: this.props.removalPolicy,
      ...props,
    });
    const { bodyAccess } = grantDataAccess(name, fn.role, this.tables, this.bodyBucket);
    if (bodyAccess) acknowledgeBodyAccess(fn.role, this.bodyBucket);
    if (grantSecretKeyAccess(name, fn.role, this.secretKey)) {
      fn.function.addEnvironment('NIMBUS_SECRET_KEY_ARN', this.secretKey.keyArn);
    }
    this.functions[name] = fn;
    this.monitoring.watchFunction(name, fn.function, props.timeout);
    return fn;
  }

  private deadLetterQueue(id: string): Queue {
    const queue = new Queue(this, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.deadLetterQueues[id] = queue;
    this.monitoring.watchDeadLetterQueue(id, queue);
    return queue;
  }

  private schedule(id: string, fn: IFunction, expression: ScheduleExpression): Schedule {
    return new Schedule(this, id, {
      schedule: expression,
      target: new InvokeLatest(fn, {
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        deadLetterQueue: this.schedulerDeadLetterQueue,
      }),
    });
  }
}

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, _dash: string, letter: string) => letter.toUpperCase());
}
