/**
 * Every failure the broker reports carries a stable `code`. The API maps codes to HTTP
 * statuses in one table (src/api/error-status.ts); the SDK maps them back to classes.
 */
export const ERROR_CODES = [
  'INVALID_REQUEST',
  'INVALID_TOPIC_NAME',
  'INVALID_GROUP_NAME',
  'INVALID_CLIENT_ID',
  'TOPIC_NOT_FOUND',
  'GROUP_NOT_FOUND',
  'TOPIC_CONFLICT',
  'GROUP_CONFLICT',
  'EMPTY_BODY',
  'BODY_TOO_LARGE',
  'TOO_MANY_PROPERTIES',
  'PROPERTIES_TOO_LARGE',
  'INVALID_PROPERTY',
  'INVALID_TAG',
  'INVALID_KEY',
  'INVALID_MESSAGE_ID',
  'INVALID_TAG_EXPRESSION',
  'BATCH_TOO_LARGE',
  'MESSAGE_TYPE_MISMATCH',
  'MESSAGE_TYPE_NOT_SUPPORTED',
  'DELAY_TOO_LONG',
  'MESSAGE_NOT_FOUND',
  'ALREADY_DELIVERED',
  'INVALID_RECEIPT_HANDLE',
  'PRODUCER_GROUP_NOT_FOUND',
  'PRODUCER_GROUP_REQUIRED',
  'MESSAGE_GROUP_REQUIRED',
  'INVALID_TRANSACTION_ID',
  'TRANSACTION_NOT_FOUND',
  'TRANSACTION_COMMITTED',
  'TRANSACTION_ROLLED_BACK',
  'RECEIPT_HANDLE_EXPIRED',
  'INVALID_ARGUMENT',
  'REQUEST_TOO_LARGE',
  'ROUTE_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'UNSUPPORTED_MEDIA_TYPE',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'MISDIRECTED_REQUEST',
  'REQUEST_TIMEOUT',
  'TOO_MANY_REQUESTS',
  'SERVER_BUSY',
  'STORE_THROTTLED',
  'STORE_UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Base error of Nimbus MQ. `retryable` tells clients whether the same call may succeed later. */
export class NimbusError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NimbusError';
    this.code = code;
    this.retryable = options?.retryable ?? (code === 'STORE_THROTTLED' || code === 'STORE_UNAVAILABLE');
  }
}

export function isNimbusError(error: unknown): error is NimbusError {
  return error instanceof NimbusError;
}
