import { Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CHECK_BACK_SWEEP_EVENT } from '../src/lambda/transaction-check-back-events.ts';
import { InvokeLatest } from './invoke-latest.ts';
import type { NimbusMonitoring } from './monitoring.ts';
import type { NimbusFunction } from './nimbus-function.ts';

export interface TransactionCheckBackProps {
  /** The transaction-check-back function (functions/transaction-check-back.ts). */
  checkBack: NimbusFunction;
  /** Functions that hold half messages and so arrange their first check (the send function). */
  holders: NimbusFunction[];
  /** Wake-ups that kept failing. */
  deadLetterQueue: Queue;
  /** Where EventBridge Scheduler puts sweep events it could not deliver. */
  schedulerDeadLetterQueue: Queue;
  /** Checker functions of `lambda` producer groups; more with `grantChecker`. */
  checkerFunctions?: IFunction[];
  monitoring: NimbusMonitoring;
}

/**
 * Check-back invocations at once from the SQS queue: each makes up to ten checker calls
 * (one batch), so at most 40 checkers are called at once, however many transactions wait.
 */
export const CHECK_BACK_MAX_CONCURRENCY = 4;

/**
 * Check-back of undecided transactions on AWS: the SQS queue of wake-ups (one per half
 * message, delayed to its check time) that triggers the check-back function with bounded
 * concurrency, the `rate(1 minute)` sweep that catches a lost wake-up, and the one grant
 * that lets the function invoke checker functions: each registered by name
 * (`checkerFunctions`, `grantChecker`), never `lambda:InvokeFunction` on `*`.
 */
export class TransactionCheckBack extends Construct {
  readonly wakeUps: Queue;
  readonly sweep: Schedule;
  private readonly checkBack: NimbusFunction;

  constructor(scope: Construct, id: string, props: TransactionCheckBackProps) {
    super(scope, id);
    const { checkBack } = props;
    this.checkBack = checkBack;
    this.wakeUps = new Queue(this, 'WakeUps', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function's timeout, as Lambda recommends for SQS event sources.
      visibilityTimeout: Duration.minutes(6),
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: props.deadLetterQueue, maxReceiveCount: 5 },
    });
    checkBack.function.addEventSource(
      new SqsEventSource(this.wakeUps, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: CHECK_BACK_MAX_CONCURRENCY,
      }),
    );
    // The function sends each undecided transaction's next wake-up, and early ones back.
    for (const fn of [checkBack, ...props.holders]) {
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.wakeUps.queueArn] }),
      );
      fn.function.addEnvironment('NIMBUS_CHECK_QUEUE_URL', this.wakeUps.queueUrl);
    }
    checkBack.function.addEnvironment('NIMBUS_CALLS_CHECKERS', 'true');
    for (const checker of props.checkerFunctions ?? []) this.grantChecker(checker);

    this.sweep = new Schedule(this, 'Sweep', {
      description: 'Nimbus MQ: check back transactions whose wake-up was lost',
      schedule: ScheduleExpression.rate(Duration.minutes(1)),
      target: new InvokeLatest(checkBack.function, {
        input: ScheduleTargetInput.fromObject(CHECK_BACK_SWEEP_EVENT),
        // A missed sweep is not retried: the next one runs a minute later.
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
        deadLetterQueue: props.schedulerDeadLetterQueue,
      }),
    });
    props.monitoring.alarm(
      'transaction-check-back-failures',
      props.monitoring.metric('CheckBackFailures', 'Sum'),
      10,
      'check-backs of transactions failed (SQS retries them, then dead-letters; the sweep checks them late)',
    );
    props.monitoring.alarm(
      'transaction-check-wake-up-failures',
      props.monitoring.metric('CheckWakeUpFailures', 'Sum'),
      1,
      'first check-backs of half messages could not be arranged (SQS failing): the sweep checks them late',
    );
    props.monitoring.alarm(
      'transaction-checks-by-sweep',
      props.monitoring.metric('ChecksBySweep', 'Sum'),
      1,
      'transactions missed their check-back wake-up and were checked by the minute sweep',
    );
  }

  /**
   * Lets the check-back function invoke `checker`, the function of a `lambda` producer
   * group (register it by this function's name or unqualified ARN).
   * @example
   * mq.transactions.grantChecker(paymentsChecker);
   */
  grantChecker(checker: IFunction): void {
    this.checkBack.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [checker.functionArn] }),
    );
  }
}
