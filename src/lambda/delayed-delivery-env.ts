import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbStore } from '../adapters/dynamodb/index.ts';
import {
  AwsReleaseScheduler,
  BucketSchedules,
  type BucketScheduleTarget,
  SqsWakeUps,
} from '../adapters/scheduler/index.ts';
import type { BrokerStore } from '../core/ports/store.ts';
import type { ReleaseScheduler } from '../core/ports/timers.ts';
import { logger, metrics } from './observability.ts';
import type { DueHeldPages } from './timer-release-handler.ts';

/** How a function reaches the delay machinery (the stack sets these; absent: no delayed delivery driver). */
export interface DelaySettings {
  /** The timer-release function's SQS queue: wake-ups delayed to the second. */
  queueUrl: string;
  /** Set on functions that hold messages: where bucket schedules go and what they invoke. */
  schedules?: BucketScheduleTarget;
}

/**
 * Reads NIMBUS_RELEASE_QUEUE_URL and, for senders, NIMBUS_RELEASE_SCHEDULE_GROUP,
 * NIMBUS_RELEASE_FUNCTION_ARN, NIMBUS_RELEASE_SCHEDULER_ROLE_ARN (and optionally
 * NIMBUS_RELEASE_SCHEDULER_DLQ_ARN). Schedule names start with NIMBUS_TABLE_PREFIX.
 */
export function delaySettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
): DelaySettings | undefined {
  const queueUrl = env['NIMBUS_RELEASE_QUEUE_URL'];
  if (!queueUrl) return undefined;
  const groupName = env['NIMBUS_RELEASE_SCHEDULE_GROUP'];
  const functionArn = env['NIMBUS_RELEASE_FUNCTION_ARN'];
  const roleArn = env['NIMBUS_RELEASE_SCHEDULER_ROLE_ARN'];
  const deadLetterArn = env['NIMBUS_RELEASE_SCHEDULER_DLQ_ARN'];
  const schedules =
    groupName && functionArn && roleArn
      ? {
          groupName,
          functionArn,
          roleArn,
          namePrefix: env['NIMBUS_TABLE_PREFIX'] ?? 'nimbus',
          ...(deadLetterArn ? { deadLetterArn } : {}),
        }
      : undefined;
  return { queueUrl, ...(schedules ? { schedules } : {}) };
}

let sqs: SQSClient | undefined;

/** The container's SQS wake-up sender. */
export function sqsWakeUps(settings: DelaySettings): SqsWakeUps {
  sqs ??= new SQSClient({});
  return new SqsWakeUps(sqs, settings.queueUrl);
}

/**
 * The ReleaseScheduler of a function that holds messages: SQS within 15 minutes, bucket
 * schedules beyond. The broker goes on when a wake-up cannot be arranged (the minute sweep
 * releases the message, late); the failure is logged and counted (`WakeUpFailures`) here.
 */
export function awsReleaseScheduler(settings: DelaySettings, now: () => number): ReleaseScheduler {
  const buckets = settings.schedules ? new BucketSchedules(new SchedulerClient({}), settings.schedules) : undefined;
  return reportingFailures(new AwsReleaseScheduler(sqsWakeUps(settings), buckets, now));
}

/** A scheduler whose failures leave a trace: a warning (counts, topics, the error; never bodies) and `WakeUpFailures`. */
export function reportingFailures(scheduler: ReleaseScheduler): ReleaseScheduler {
  return {
    async schedule(due) {
      try {
        await scheduler.schedule(due);
      } catch (error) {
        logger.warn('delayed delivery: wake-up not arranged, the sweep releases late', {
          messages: due.length,
          topics: [...new Set(due.map((entry) => entry.topic))],
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
        metrics.addMetric('WakeUpFailures', MetricUnit.Count, due.length);
        throw error;
      }
    },
  };
}

/** The hand-off listing of the DynamoDB store the functions run on. */
export function dueHeldPages(store: BrokerStore): DueHeldPages {
  if (!(store instanceof DynamoDbStore)) throw new Error('timer-release runs on the DynamoDB store only.');
  return store;
}
