import { Duration, Token } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PushDriverEvent } from '../src/lambda/push-driver-event.ts';
import { InvokeLatest } from './invoke-latest.ts';
import type { NimbusMonitoring } from './monitoring.ts';

export interface LambdaSubscriptionOptions {
  /** The consumer group whose messages the function receives (create it through the API first). */
  group: string;
  /** Broadcasting groups: the instance id this subscription consumes as. */
  clientId?: string;
  /** Messages per invocation, 1-32. @default 10 */
  batchSize?: number;
  /** Invocations of the function in flight at once, 1-100. @default 2 */
  maxConcurrency?: number;
  /**
   * How long a delivered batch stays invisible; must exceed the function's timeout or a batch
   * still being processed is delivered again. @default the function's timeout + 1 minute
   * (16 minutes when the timeout is unknown)
   */
  invisibleDuration?: Duration;
  /**
   * Poll through every minute instead of draining and stopping. New messages already reach
   * the function within about a second through the messages stream; continuous polling
   * also picks up retries (RocketMQ backoff) and expired invisible times within a second
   * instead of at the next minute's run, but the driver then runs (and reads DynamoDB)
   * all month. @default false
   */
  continuousPolling?: boolean;
}

export interface LambdaSubscriptionProps extends LambdaSubscriptionOptions {
  target: IFunction;
  driver: IFunction;
  schedulerDeadLetterQueue: IQueue;
  monitoring: NimbusMonitoring;
}

/** How often a subscription's driver run starts, and how long it receives. */
const RUN_EVERY = Duration.minutes(1);
const RUN_WINDOW = Duration.seconds(50);

/**
 * Push delivery of a consumer group to a Lambda function: the push-stream function starts
 * the push-deliver function for this subscription when its topics get new messages, and
 * every minute a schedule starts it as the safety net (redeliveries, expired invisible
 * times). A run delivers batches (partial batch failures per message), acks successes and
 * nacks failures (RocketMQ backoff, then the group's dead-letter queue). An alarm fires
 * when messages reach the dead-letter queue.
 */
export class LambdaSubscription extends Construct {
  readonly schedule: Schedule;
  readonly deadLetterAlarm: Alarm;
  /** What the schedule starts the driver with; the push-stream function nudges with the same. */
  readonly driverEvent: PushDriverEvent;

  constructor(scope: Construct, id: string, props: LambdaSubscriptionProps) {
    super(scope, id);
    const event: PushDriverEvent = {
      subscription: {
        group: checkedName(props.group),
        ...(props.clientId === undefined ? {} : { clientId: props.clientId }),
        functionName: props.target.functionArn,
        batchSize: checkedInt('batchSize', props.batchSize ?? 10, 1, 32),
        maxConcurrency: checkedInt('maxConcurrency', props.maxConcurrency ?? 2, 1, 100),
        invisibleDurationMs: defaultInvisible(props).toMilliseconds(),
        continuousPolling: props.continuousPolling ?? false,
        runWindowMs: RUN_WINDOW.toMilliseconds(),
      },
    };
    this.driverEvent = event;
    // Only the unqualified function: the driver never invokes versions or aliases.
    props.driver.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.target.functionArn] }),
    );
    this.schedule = new Schedule(this, 'Schedule', {
      description: `Nimbus MQ push delivery of group ${props.group}`,
      schedule: ScheduleExpression.rate(RUN_EVERY),
      target: new InvokeLatest(props.driver, {
        input: ScheduleTargetInput.fromObject(event),
        // A missed run is not retried: the next one starts a minute later anyway.
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
        deadLetterQueue: props.schedulerDeadLetterQueue,
      }),
    });
    this.deadLetterAlarm = props.monitoring.watchPushSubscription(id, props.group);
  }
}

function defaultInvisible(props: LambdaSubscriptionProps): Duration {
  if (props.invisibleDuration) return props.invisibleDuration;
  const timeout = props.target instanceof LambdaFunction ? props.target.timeout : undefined;
  return timeout ? timeout.plus(Duration.minutes(1)) : Duration.minutes(16);
}

function checkedInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max} (got ${value}).`);
  }
  return value;
}

function checkedName(group: string): string {
  if (!Token.isUnresolved(group) && !/^[A-Za-z0-9_-]{1,64}$/.test(group)) {
    throw new Error(`Group name "${group}" must be 1-64 characters of A-Z, a-z, 0-9, _ and -.`);
  }
  return group;
}
