import type { ProducerGroup } from '../producer-group.ts';

/** A producer's answer to a check-back. UNKNOWN asks again at the next check. */
export type TransactionDecision = 'COMMIT' | 'ROLLBACK' | 'UNKNOWN';

export const TRANSACTION_DECISIONS: readonly TransactionDecision[] = ['COMMIT', 'ROLLBACK', 'UNKNOWN'];

/** What a check-back tells the producer: the half message and which check this is. */
export interface TransactionCheck {
  transactionId: string;
  msgId: string;
  topic: string;
  producerGroup: string;
  /** 1 for the first check-back. */
  checkAttempt: number;
  body: Uint8Array;
  tag?: string;
  keys: string[];
  properties: Record<string, string>;
}

/**
 * Asks a producer group's checker (webhook, Lambda) about an undecided transaction.
 * Implementations bound each call in time and answer UNKNOWN on a timeout, an error or an
 * answer they cannot read: a checker that cannot be reached is asked again later, and the
 * transaction is rolled back after the group's `maxChecks`.
 */
export interface TransactionChecker {
  check(group: ProducerGroup, check: TransactionCheck): Promise<TransactionDecision>;
}
