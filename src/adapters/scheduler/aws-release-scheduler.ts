import type { ReleaseScheduler } from '../../core/ports/timers.ts';
import type { BucketSchedules } from './bucket-schedules.ts';
import { bucketOf, type ReleaseWakeUp } from './release-events.ts';
import { MAX_SQS_DELAY_MS, type SqsWakeUps } from './sqs-wake-ups.ts';

/**
 * Where delayed messages fall due on AWS: within 15 minutes, an SQS message delayed until
 * the due second; later, the minute bucket's one-time EventBridge Scheduler schedule,
 * whose run hands the bucket to SQS. Both only wake the timer-release function; the
 * release itself is idempotent, so a wake-up sent twice costs one more look.
 * @example
 * const scheduler = new AwsReleaseScheduler(new SqsWakeUps(sqs, queueUrl), new BucketSchedules(client, target), Date.now);
 * createBroker({ ..., releaseScheduler: scheduler });
 */
export class AwsReleaseScheduler implements ReleaseScheduler {
  private readonly wakeUps: SqsWakeUps;
  private readonly buckets: BucketSchedules | undefined;
  private readonly now: () => number;

  /** Without `buckets`, messages due later than 15 minutes are left to the sweep's look-ahead. */
  constructor(wakeUps: SqsWakeUps, buckets: BucketSchedules | undefined, now: () => number) {
    this.wakeUps = wakeUps;
    this.buckets = buckets;
    this.now = now;
  }

  async schedule(due: readonly ReleaseWakeUp[]): Promise<void> {
    const now = this.now();
    const soon = due.filter((entry) => entry.dueAt - now <= MAX_SQS_DELAY_MS);
    const later = due.filter((entry) => entry.dueAt - now > MAX_SQS_DELAY_MS);
    await Promise.all([
      soon.length > 0 ? this.wakeUps.send(soon, now) : undefined,
      later.length > 0 ? this.buckets?.ensure(later.map((entry) => bucketOf(entry.dueAt))) : undefined,
    ]);
  }
}
