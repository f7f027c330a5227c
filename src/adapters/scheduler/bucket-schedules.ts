import { ConflictException, CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { MINUTE_MS, type ReleaseBucketEvent } from './release-events.ts';

export interface BucketScheduleTarget {
  /** Schedules live in this schedule group (the stack creates it). */
  groupName: string;
  /** Schedule names start with this (the deployment's table prefix), so deployments never share one. */
  namePrefix: string;
  /** The timer-release function. */
  functionArn: string;
  /** The role EventBridge Scheduler assumes to invoke it. */
  roleArn: string;
  /** Where Scheduler puts events it could not deliver. */
  deadLetterArn?: string;
}

/** Bucket schedules fire this long before their minute begins: Scheduler is minute-precise, SQS finishes the job. */
export const FIRE_EARLY_MS = 2 * MINUTE_MS;

/**
 * One one-time EventBridge Scheduler schedule per minute bucket of held messages, created
 * idempotently: its name is derived from the bucket, so a second create for the same
 * bucket meets ConflictException, which counts as success. It deletes itself after it
 * fires (`ActionAfterCompletion: DELETE`) and invokes the timer-release function two
 * minutes before the bucket's minute, which hands the bucket's messages to SQS delays.
 */
export class BucketSchedules {
  private readonly client: SchedulerClient;
  private readonly target: BucketScheduleTarget;
  /** Buckets this process has already scheduled: later holds for them make no request. */
  private readonly known = new Set<number>();

  constructor(client: SchedulerClient, target: BucketScheduleTarget) {
    this.client = client;
    this.target = target;
  }

  /** Makes sure each bucket (epoch minute) has its schedule. */
  async ensure(minutes: Iterable<number>): Promise<void> {
    const fresh = [...new Set(minutes)].filter((minute) => !this.known.has(minute));
    await Promise.all(fresh.map((minute) => this.create(minute)));
  }

  private async create(minute: number): Promise<void> {
    try {
      await this.client.send(new CreateScheduleCommand(bucketScheduleInput(this.target, minute)));
    } catch (error) {
      // Another sender (or an earlier retry of ours) created it: the bucket is scheduled.
      if (!(error instanceof ConflictException)) throw error;
    }
    this.known.add(minute);
  }
}

/**
 * The schedule's name: unique per bucket within the deployment's schedule group, within
 * Scheduler's 64 characters (the prefix is cut; the group already keeps deployments apart).
 */
export function bucketScheduleName(namePrefix: string, minute: number): string {
  return `${namePrefix.slice(0, 44)}-release-${minute}`;
}

/** `at()` wants a UTC date-time without zone or milliseconds. */
export function atExpression(epochMs: number): string {
  return `at(${new Date(epochMs).toISOString().slice(0, 19)})`;
}

export function bucketScheduleInput(target: BucketScheduleTarget, minute: number) {
  const event: ReleaseBucketEvent = { nimbus: 'release-bucket', minute };
  return {
    Name: bucketScheduleName(target.namePrefix, minute),
    GroupName: target.groupName,
    ScheduleExpression: atExpression(minute * MINUTE_MS - FIRE_EARLY_MS),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    ActionAfterCompletion: 'DELETE' as const,
    Target: {
      Arn: target.functionArn,
      RoleArn: target.roleArn,
      Input: JSON.stringify(event),
      // The sweep catches a bucket whose event is lost; retries past a few minutes only arrive late.
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 300 },
      ...(target.deadLetterArn ? { DeadLetterConfig: { Arn: target.deadLetterArn } } : {}),
    },
  };
}
