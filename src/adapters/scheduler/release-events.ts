/**
 * What the timer-release function receives, besides SQS batches: the shapes of the
 * events that EventBridge Scheduler sends it. Plain data, shared by the scheduler
 * adapter (which creates bucket schedules), the handler and the CDK stack (the sweep).
 */

/** A one-time schedule's event: release (or hand to SQS) every held message due by the end of `minute`. */
export interface ReleaseBucketEvent {
  nimbus: 'release-bucket';
  /** Epoch minute (epoch ms / 60,000) of the bucket. */
  minute: number;
}

/** The `rate(1 minute)` safety net: release whatever is overdue, hand the next minutes to SQS. */
export interface ReleaseSweepEvent {
  nimbus: 'release-sweep';
}

/** The body of one SQS wake-up: the held message it is for, and when it falls due. */
export interface ReleaseWakeUp {
  topic: string;
  msgId: string;
  dueAt: number;
}

export const SWEEP_EVENT: ReleaseSweepEvent = { nimbus: 'release-sweep' };

export const MINUTE_MS = 60_000;

export function bucketOf(dueAt: number): number {
  return Math.floor(dueAt / MINUTE_MS);
}

export function isBucketEvent(event: unknown): event is ReleaseBucketEvent {
  const value = event as Partial<ReleaseBucketEvent> | null;
  return value?.nimbus === 'release-bucket' && Number.isSafeInteger(value.minute);
}

export function isSweepEvent(event: unknown): event is ReleaseSweepEvent {
  return (event as Partial<ReleaseSweepEvent> | null)?.nimbus === 'release-sweep';
}

/** Parses an SQS wake-up body; undefined when it is not one (such a record is dropped, not retried). */
export function parseWakeUp(body: string): ReleaseWakeUp | undefined {
  try {
    const value = JSON.parse(body) as Partial<ReleaseWakeUp>;
    if (typeof value.topic !== 'string' || typeof value.msgId !== 'string' || !Number.isSafeInteger(value.dueAt)) {
      return undefined;
    }
    return { topic: value.topic, msgId: value.msgId, dueAt: value.dueAt as number };
  } catch {
    return undefined;
  }
}
