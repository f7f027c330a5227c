import { NimbusError } from './errors.ts';
import { LIMITS } from './limits.ts';

/**
 * When a delayed message becomes visible: `deliverAt`, or `now + delayMs`. A time in the
 * past (or a delay of 0) means now. More than 40 days ahead is refused with
 * DELAY_TOO_LONG, naming the limit.
 * @example
 * dueTime({ delayMs: 60_000 }, now); // now + 60 s
 */
export function dueTime(message: { deliverAt?: number; delayMs?: number }, now: number): number {
  const { deliverAt, delayMs } = message;
  if (deliverAt !== undefined && delayMs !== undefined) {
    throw new NimbusError('INVALID_ARGUMENT', 'Give deliverAt or delayMs, not both.');
  }
  if (deliverAt === undefined && delayMs === undefined) {
    throw new NimbusError('INVALID_ARGUMENT', 'A message to a DELAY topic needs deliverAt (epoch ms) or delayMs.');
  }
  const value = deliverAt ?? delayMs ?? 0;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new NimbusError(
      'INVALID_ARGUMENT',
      `${deliverAt === undefined ? 'delayMs' : 'deliverAt'} must be a non-negative integer.`,
    );
  }
  const due = deliverAt ?? now + (delayMs ?? 0);
  if (due - now > LIMITS.maxDelayMs) {
    throw new NimbusError(
      'DELAY_TOO_LONG',
      `A message can be delayed at most 40 days (${LIMITS.maxDelayMs} ms); this one is due ${due - now} ms from now.`,
    );
  }
  return Math.max(due, now);
}
