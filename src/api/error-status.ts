import { type ErrorCode, isNimbusError } from '../core/errors.ts';
import { type ApiLogger, type ApiResponse, jsonResponse } from './http.ts';

/**
 * THE table from error code to HTTP status. Every client error is a 4xx; retryable store
 * errors are 503; only INTERNAL is a 500. The `Record` type makes a missing code a
 * compile error.
 */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_REQUEST: 400,
  INVALID_TOPIC_NAME: 400,
  INVALID_GROUP_NAME: 400,
  INVALID_CLIENT_ID: 400,
  TOPIC_NOT_FOUND: 404,
  GROUP_NOT_FOUND: 404,
  TOPIC_CONFLICT: 409,
  GROUP_CONFLICT: 409,
  EMPTY_BODY: 400,
  BODY_TOO_LARGE: 413,
  TOO_MANY_PROPERTIES: 400,
  PROPERTIES_TOO_LARGE: 413,
  INVALID_PROPERTY: 400,
  INVALID_TAG: 400,
  INVALID_KEY: 400,
  INVALID_MESSAGE_ID: 400,
  INVALID_TAG_EXPRESSION: 400,
  BATCH_TOO_LARGE: 413,
  MESSAGE_TYPE_MISMATCH: 400,
  MESSAGE_TYPE_NOT_SUPPORTED: 422,
  DELAY_TOO_LONG: 400,
  MESSAGE_NOT_FOUND: 404,
  ALREADY_DELIVERED: 409,
  INVALID_RECEIPT_HANDLE: 400,
  PRODUCER_GROUP_NOT_FOUND: 404,
  PRODUCER_GROUP_REQUIRED: 400,
  MESSAGE_GROUP_REQUIRED: 400,
  INVALID_TRANSACTION_ID: 400,
  TRANSACTION_NOT_FOUND: 404,
  // The contrary decision was taken already: a conflict with the transaction's state.
  TRANSACTION_COMMITTED: 409,
  TRANSACTION_ROLLED_BACK: 409,
  // The delivery moved on (acked, redelivered, expired): a conflict with the lease's current state.
  RECEIPT_HANDLE_EXPIRED: 409,
  INVALID_ARGUMENT: 400,
  REQUEST_TOO_LARGE: 413,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  // The Host header names no address this server answers for (DNS rebinding): RFC 9110 §15.5.20.
  MISDIRECTED_REQUEST: 421,
  REQUEST_TIMEOUT: 408,
  TOO_MANY_REQUESTS: 429,
  SERVER_BUSY: 503,
  STORE_THROTTLED: 503,
  STORE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** The JSON body of every error response. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  requestId: string;
}

export function errorResponse(code: ErrorCode, message: string, requestId: string): ApiResponse {
  const body: ErrorBody = { code, message, requestId };
  const response = jsonResponse(ERROR_STATUS[code], body, requestId);
  // Tell well-behaved clients to back off before retrying a throttled or unavailable store.
  if (ERROR_STATUS[code] === 503) response.headers['retry-after'] = '1';
  return response;
}

/**
 * Turns anything thrown by a handler into a response: broker errors keep their code,
 * anything else is an INTERNAL error, logged with the request id, its details withheld.
 */
export function responseForError(error: unknown, requestId: string, logger: ApiLogger): ApiResponse {
  if (isNimbusError(error)) {
    if (error.code === 'INTERNAL') logger.error('internal error', { requestId, error });
    return errorResponse(error.code, error.message, requestId);
  }
  logger.error('unhandled error', { requestId, error });
  return errorResponse('INTERNAL', 'Internal error; the request id identifies it in the server log.', requestId);
}
