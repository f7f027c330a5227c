/** RocketMQ's retry schedule: the delay before delivery attempt n+1 after attempt n failed. */
export const RETRY_SCHEDULE_MS = [
  10_000, 30_000, 60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000, 480_000, 540_000, 600_000, 1_200_000,
  1_800_000, 3_600_000, 7_200_000,
] as const;

/**
 * Delay before the next attempt after `deliveryAttempt` (1-based) failed.
 * @example
 * retryDelayMs(1) // 10_000
 * retryDelayMs(40) // 7_200_000 (the schedule's last step repeats)
 */
export function retryDelayMs(deliveryAttempt: number): number {
  const index = Math.min(Math.max(deliveryAttempt, 1), RETRY_SCHEDULE_MS.length) - 1;
  return RETRY_SCHEDULE_MS[index] as number;
}
