import type { ApiErrorBody, ErrorCode } from '../api/types.ts';

/**
 * Codes the SDK adds for failures that never got a broker answer.
 * @example
 * if (error instanceof NimbusApiError && error.code === 'NETWORK_ERROR') reconnectLater();
 */
export type ClientErrorCode = 'NETWORK_ERROR' | 'UNEXPECTED_RESPONSE';

/**
 * Base class of every error the SDK throws for a failed call. `code` is the broker's
 * stable error code; `retryable` says whether the same call may succeed later.
 * @example
 * try {
 *   await client.getTopic('orders');
 * } catch (error) {
 *   if (error instanceof NimbusApiError && error.retryable) scheduleRetry();
 * }
 */
export class NimbusApiError extends Error {
  readonly code: ErrorCode | ClientErrorCode;
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  readonly requestId: string | undefined;
  readonly retryable: boolean;

  constructor(
    code: ErrorCode | ClientErrorCode,
    message: string,
    details: { status: number; requestId?: string; retryable?: boolean; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = details.status;
    this.requestId = details.requestId;
    this.retryable = details.retryable ?? (details.status === 429 || details.status === 503);
  }
}

/**
 * The request was refused as invalid (400, 405, 415): fix it before trying again.
 * @example
 * await producer.send('orders', { body: '' }).catch((e) => e instanceof ValidationError); // EMPTY_BODY
 */
export class ValidationError extends NimbusApiError {}

/**
 * A limit was exceeded (413): body, properties, batch or request size.
 * @example
 * await producer.send('orders', hugeBody).catch((e) => e instanceof PayloadTooLargeError); // BODY_TOO_LARGE
 */
export class PayloadTooLargeError extends ValidationError {}

/**
 * The topic or group does not exist (404).
 * @example
 * await client.getTopic('nope').catch((e) => e instanceof NotFoundError); // true
 */
export class NotFoundError extends NimbusApiError {}

/**
 * The request conflicts with the current state (409): a topic exists with another type or
 * queue count, a group with another consume mode, or a receipt handle went stale.
 * @example
 * await client.createTopic('orders', { queueCount: 2 }).catch((e) => e instanceof ConflictError);
 */
export class ConflictError extends NimbusApiError {}

/**
 * The broker does not support this yet (422), e.g. sending to a message type that is still to come.
 * @example
 * await producer.send('fifo-topic', 'x').catch((e) => e instanceof UnsupportedError);
 */
export class UnsupportedError extends NimbusApiError {}

/**
 * The broker wants an access token and got none, or one it does not know (401).
 * @example
 * await new Client({ endpoint }).listTopics().catch((e) => e instanceof UnauthenticatedError);
 */
export class UnauthenticatedError extends NimbusApiError {}

/**
 * The token's principal lacks a permission (403); the message names the action and resource.
 * Also a browser page whose origin the broker does not allow.
 * @example
 * await producer.send('payroll', 'x').catch((e) => e instanceof PermissionDeniedError); // lacks PUB on topic:payroll
 */
export class PermissionDeniedError extends NimbusApiError {}

/**
 * The broker does not answer for the host name in the URL (421); start it with `--allowed-host`.
 * @example
 * if (error instanceof MisdirectedRequestError) console.error('use 127.0.0.1 or an allowed host name');
 */
export class MisdirectedRequestError extends NimbusApiError {}

/**
 * Too many requests of this client wait at once (429): retry after `retry-after`.
 * @example
 * if (error instanceof TooManyRequestsError) await sleep(1000);
 */
export class TooManyRequestsError extends NimbusApiError {}

/**
 * The store is throttled or unavailable, or the broker is busy (503): retry with backoff.
 * @example
 * if (error instanceof ServiceUnavailableError) await sleep(1000);
 */
export class ServiceUnavailableError extends NimbusApiError {}

/**
 * The broker failed unexpectedly (500); `requestId` finds it in the server log.
 * @example
 * if (error instanceof InternalServerError) console.error(error.requestId);
 */
export class InternalServerError extends NimbusApiError {}

/**
 * No answer from the broker: connection refused, reset, DNS failure. Retryable.
 * @example
 * if (error instanceof NetworkError) console.error('broker unreachable', error.cause);
 */
export class NetworkError extends NimbusApiError {}

type ErrorClass = new (
  code: ErrorCode | ClientErrorCode,
  message: string,
  details: { status: number; requestId?: string; retryable?: boolean },
) => NimbusApiError;

const CLASS_BY_STATUS: Record<number, ErrorClass> = {
  400: ValidationError,
  401: UnauthenticatedError,
  403: PermissionDeniedError,
  404: NotFoundError,
  405: ValidationError,
  409: ConflictError,
  413: PayloadTooLargeError,
  415: ValidationError,
  421: MisdirectedRequestError,
  422: UnsupportedError,
  429: TooManyRequestsError,
  500: InternalServerError,
  503: ServiceUnavailableError,
};

/**
 * Builds the typed error for a failed response from its status and error body.
 * @example
 * errorFromResponse(404, '{"code":"TOPIC_NOT_FOUND","message":"no","requestId":"r1"}', undefined); // NotFoundError
 */
export function errorFromResponse(status: number, text: string, requestId: string | undefined): NimbusApiError {
  const body = parseErrorBody(text);
  const ErrorType = CLASS_BY_STATUS[status] ?? NimbusApiError;
  if (!body) {
    const retryable = status === 429 || status === 502 || status === 503 || status === 504;
    return new ErrorType('UNEXPECTED_RESPONSE', `HTTP ${status}: ${text.slice(0, 200)}`, {
      status,
      requestId,
      retryable,
    });
  }
  return new ErrorType(body.code, body.message, { status, requestId: body.requestId ?? requestId });
}

function parseErrorBody(text: string): (Partial<ApiErrorBody> & Pick<ApiErrorBody, 'code' | 'message'>) | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { code, message, requestId } = value as Record<string, unknown>;
    if (typeof code !== 'string' || typeof message !== 'string') return undefined;
    return {
      code: code as ErrorCode,
      message,
      requestId: typeof requestId === 'string' ? requestId : undefined,
    };
  } catch {
    return undefined;
  }
}
