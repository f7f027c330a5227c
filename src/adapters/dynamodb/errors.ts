import { NimbusError } from '../../core/errors.ts';

/**
 * The one place where DynamoDB SDK errors get meaning. Conditional failures are domain
 * outcomes (the gateway returns them as results); throttling and transient faults are
 * retried with exponential backoff and full jitter, and only when the attempts run out do
 * they surface as retryable NimbusErrors (`STORE_THROTTLED`, `STORE_UNAVAILABLE`).
 */

export type ErrorClass = 'conditional' | 'throttled' | 'transient' | 'fatal';

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, baseDelayMs: 20, maxDelayMs: 2_000 };

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

const TRANSIENT = new Set([
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionConflictException',
  'TransactionInProgressException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/** Reasons DynamoDB gives, per item, when it cancels a transaction. */
export interface CancellationReasonLike {
  Code?: string;
  Item?: Record<string, unknown>;
}

export function cancellationReasons(error: unknown): CancellationReasonLike[] | undefined {
  if (!isObject(error) || error['name'] !== 'TransactionCanceledException') return undefined;
  const reasons = error['CancellationReasons'];
  return Array.isArray(reasons) ? (reasons as CancellationReasonLike[]) : [];
}

export function classifyError(error: unknown): ErrorClass {
  if (!isObject(error)) return 'fatal';
  const name = typeof error['name'] === 'string' ? error['name'] : '';
  if (name === 'ConditionalCheckFailedException') return 'conditional';
  const reasons = cancellationReasons(error);
  if (reasons) {
    const codes = reasons.map((reason) => reason.Code ?? 'None');
    if (codes.includes('ConditionalCheckFailed')) return 'conditional';
    if (codes.some((code) => code === 'ThrottlingError' || code === 'ProvisionedThroughputExceeded')) {
      return 'throttled';
    }
    if (codes.includes('TransactionConflict')) return 'transient';
    return 'fatal';
  }
  if (THROTTLING.has(name)) return 'throttled';
  if (TRANSIENT.has(name)) return 'transient';
  const code = typeof error['code'] === 'string' ? error['code'] : '';
  if (NETWORK_CODES.has(code)) return 'transient';
  const metadata = error['$metadata'];
  const status = isObject(metadata) && typeof metadata['httpStatusCode'] === 'number' ? metadata['httpStatusCode'] : 0;
  if (status >= 500) return 'transient';
  return 'fatal';
}

/** Full-jitter exponential backoff: a uniform delay in [0, min(max, base * 2^attempt)). */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * Runs `call`, retrying throttled and transient failures. Conditional failures and other
 * errors are rethrown as they are, for the caller (conditional) or `toStoreError` (fatal).
 */
export async function withRetry<T>(
  operation: string,
  policy: RetryPolicy,
  call: () => Promise<T>,
  sleep: (ms: number) => Promise<void> = defaultSleep,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const kind = classifyError(error);
      if (kind === 'conditional') throw error;
      if (kind === 'fatal') throw toStoreError(operation, error);
      if (attempt + 1 >= policy.maxAttempts) {
        throw new NimbusError(
          kind === 'throttled' ? 'STORE_THROTTLED' : 'STORE_UNAVAILABLE',
          `DynamoDB ${kind === 'throttled' ? 'throttled' : 'failed'} ${operation} ${policy.maxAttempts} times in a row; try again later.`,
          { cause: error },
        );
      }
      await sleep(backoffDelayMs(policy, attempt));
    }
  }
}

/** A non-retryable SDK error as a NimbusError, with the SDK error as `cause`. */
export function toStoreError(operation: string, error: unknown): NimbusError {
  if (error instanceof NimbusError) return error;
  const name = isObject(error) && typeof error['name'] === 'string' ? error['name'] : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'ResourceNotFoundException') {
    return new NimbusError(
      'STORE_UNAVAILABLE',
      `DynamoDB table missing for ${operation}: ${message} (create the tables, e.g. with createTables: true).`,
      { cause: error, retryable: false },
    );
  }
  return new NimbusError('INTERNAL', `DynamoDB ${operation} failed: ${name}: ${message}`, { cause: error });
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
