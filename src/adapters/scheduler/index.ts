/** Delayed delivery on AWS: SQS delays for the last 15 minutes, EventBridge Scheduler buckets before that. */
export { AwsReleaseScheduler } from './aws-release-scheduler.ts';
export {
  BucketSchedules,
  type BucketScheduleTarget,
  bucketScheduleInput,
  bucketScheduleName,
  FIRE_EARLY_MS,
} from './bucket-schedules.ts';
export * from './release-events.ts';
export { delaySeconds, MAX_SQS_DELAY_MS, SqsWakeUps } from './sqs-wake-ups.ts';
