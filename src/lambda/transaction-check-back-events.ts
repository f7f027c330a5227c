/**
 * What the transaction-check-back function receives besides SQS wake-ups: plain data,
 * shared by the handler and the CDK stack (which schedules the sweep).
 */

/** The `rate(1 minute)` safety net: check every transaction whose check is overdue. */
export interface CheckBackSweepEvent {
  nimbus: 'check-back-sweep';
}

export const CHECK_BACK_SWEEP_EVENT: CheckBackSweepEvent = { nimbus: 'check-back-sweep' };

export function isCheckBackSweepEvent(event: unknown): event is CheckBackSweepEvent {
  return (event as Partial<CheckBackSweepEvent> | null)?.nimbus === 'check-back-sweep';
}

/** Longest wait for one checker's answer (webhook or Lambda); a slower one counts as UNKNOWN. */
export const CHECKER_CALL_TIMEOUT_MS = 5_000;

/**
 * Checker calls per sweep: 16 run at once (src/core/transaction-check-back.ts), so 128 calls
 * take at most 8 rounds of one call timeout, 40 s, inside the function's minute.
 */
export const SWEEP_MAX_CHECKER_CALLS = 128;
