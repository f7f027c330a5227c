import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Schedule, ScheduleExpression, ScheduleGroup, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SWEEP_EVENT } from '../src/adapters/scheduler/release-events.ts';
import { InvokeLatest } from './invoke-latest.ts';
import type { NimbusMonitoring } from './monitoring.ts';
import { acknowledgeBucketSchedules } from './nag-acknowledgements.ts';
import type { NimbusFunction } from './nimbus-function.ts';

export interface DelayedDeliveryProps {
  /** The timer-release function (functions/timer-release.ts). */
  timer: NimbusFunction;
  /** Functions that hold delayed messages and so arrange their wake-ups (the send function). */
  senders: NimbusFunction[];
  /** Schedule group and schedule names derive from it (the deployment's table prefix). */
  namePrefix: string;
  /** Wake-ups that kept failing, and timer events Lambda could not process. */
  deadLetterQueue: Queue;
  /** Where EventBridge Scheduler puts events it could not deliver. */
  schedulerDeadLetterQueue: Queue;
  monitoring: NimbusMonitoring;
}

/** Release lateness (p99 over 5 minutes) above which the late-release alarm fires: the AWS goal is 3 s. */
export const LATE_RELEASE_MS = 3_000;

/**
 * Delayed delivery on AWS (DESIGN.md §4): the SQS queue of wake-ups that triggers the
 * timer-release function (delayed to the second, partial batch failures, a DLQ), the
 * schedule group where senders create one self-deleting `at()` schedule per minute bucket,
 * the role Scheduler assumes to invoke the function (senders may pass only it), the
 * `rate(1 minute)` sweep, and alarms on late and failed releases.
 */
export class DelayedDelivery extends Construct {
  readonly wakeUps: Queue;
  readonly scheduleGroup: ScheduleGroup;
  readonly schedulerRole: Role;
  readonly sweep: Schedule;

  constructor(scope: Construct, id: string, props: DelayedDeliveryProps) {
    super(scope, id);
    const { timer } = props;
    const stack = Stack.of(this);
    this.wakeUps = new Queue(this, 'WakeUps', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function's timeout, as Lambda recommends for SQS event sources.
      visibilityTimeout: Duration.minutes(6),
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: props.deadLetterQueue, maxReceiveCount: 5 },
    });
    timer.function.addEventSource(new SqsEventSource(this.wakeUps, { batchSize: 10, reportBatchItemFailures: true }));
    // The function sends early wake-ups back with their remaining delay, and hands buckets to the queue.
    timer.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.wakeUps.queueArn] }),
    );
    timer.function.addEnvironment('NIMBUS_RELEASE_QUEUE_URL', this.wakeUps.queueUrl);

    const groupName = `${props.namePrefix.slice(0, 56)}-delays`;
    this.scheduleGroup = new ScheduleGroup(this, 'Buckets', { scheduleGroupName: groupName });
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        // Only schedules of this account and group may use it (confused deputy).
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:scheduler:${stack.region}:${stack.account}:schedule/${groupName}/*`,
          },
        },
      }),
      description: 'Nimbus MQ: EventBridge Scheduler invokes timer-release for a bucket of delayed messages',
    });
    this.schedulerRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [timer.function.functionArn] }),
    );
    this.schedulerRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.schedulerDeadLetterQueue.queueArn] }),
    );

    const bucketSchedules = `arn:${stack.partition}:scheduler:${stack.region}:${stack.account}:schedule/${groupName}/*`;
    for (const sender of props.senders) {
      sender.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.wakeUps.queueArn] }),
      );
      sender.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['scheduler:CreateSchedule'], resources: [bucketSchedules] }),
      );
      sender.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [this.schedulerRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      );
      acknowledgeBucketSchedules(sender.role, groupName);
      const env = sender.function;
      env.addEnvironment('NIMBUS_RELEASE_QUEUE_URL', this.wakeUps.queueUrl);
      env.addEnvironment('NIMBUS_RELEASE_SCHEDULE_GROUP', this.scheduleGroup.scheduleGroupName);
      env.addEnvironment('NIMBUS_RELEASE_FUNCTION_ARN', timer.function.functionArn);
      env.addEnvironment('NIMBUS_RELEASE_SCHEDULER_ROLE_ARN', this.schedulerRole.roleArn);
      env.addEnvironment('NIMBUS_RELEASE_SCHEDULER_DLQ_ARN', props.schedulerDeadLetterQueue.queueArn);
    }

    this.sweep = new Schedule(this, 'Sweep', {
      description: 'Nimbus MQ: release missed delayed messages, hand the next minutes to SQS',
      schedule: ScheduleExpression.rate(Duration.minutes(1)),
      target: new InvokeLatest(timer.function, {
        input: ScheduleTargetInput.fromObject(SWEEP_EVENT),
        // A missed sweep is not retried: the next one runs a minute later.
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
        deadLetterQueue: props.schedulerDeadLetterQueue,
      }),
    });

    const monitoring = props.monitoring;
    monitoring.alarm(
      'delayed-release-late',
      monitoring.metric('ReleaseLatenessMs', 'p99'),
      LATE_RELEASE_MS,
      `delayed messages were released more than ${LATE_RELEASE_MS / 1000} s after their time (p99)`,
      2,
    );
    monitoring.alarm(
      'delayed-release-missed',
      monitoring.metric('ReleasedBySweep', 'Sum'),
      1,
      'delayed messages missed their wake-up and were released by the minute sweep',
    );
    monitoring.alarm(
      'delayed-release-failures',
      monitoring.metric('ReleaseFailures', 'Sum'),
      10,
      'releases of delayed messages failed (SQS retries them, then dead-letters)',
    );
    monitoring.alarm(
      'delayed-wake-up-failures',
      monitoring.metric('WakeUpFailures', 'Sum'),
      1,
      'wake-ups of held delayed messages could not be arranged (SQS or Scheduler failing): the sweep releases them late',
    );
  }
}
