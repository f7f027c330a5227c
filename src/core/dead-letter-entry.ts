import type { DeadLetter } from './model.ts';
import type { LeaseKey } from './ports/store.ts';

/** A delivery that gives up: where it sits, which message, and how many attempts it had. */
interface GivenUp extends LeaseKey {
  msgId: string;
  attempt: number;
}

/**
 * The dead letter recorded for a delivery that used up its attempts. One place builds it,
 * so a letter from a nack, a redelivery or the lease-expiry sweep reads the same.
 * @example
 * await store.deadLetter(lease, lease.token, deadLetterFor('billing', lease, now, unacknowledged(lease.attempt)));
 */
export function deadLetterFor(group: string, delivery: GivenUp, deadAt: number, reason: string): DeadLetter {
  return {
    group,
    consumer: delivery.consumer,
    topic: delivery.topic,
    queueId: delivery.queueId,
    queueOffset: delivery.queueOffset,
    msgId: delivery.msgId,
    deliveryAttempts: delivery.attempt,
    deadAt,
    reason,
  };
}

/** Why a delivery whose last attempt expired unacknowledged was dead-lettered. */
export function unacknowledged(attempt: number): string {
  return `not acknowledged after ${attempt} delivery attempts`;
}
