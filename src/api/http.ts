/**
 * The transport-neutral request and response of the API. The embedded server adapts
 * node:http to it, the Lambda functions adapt API Gateway events to it; the handlers
 * never see a transport.
 */
export interface ApiRequest {
  method: string;
  /** The path without the query string, still percent-encoded (e.g. `/v1/topics/orders`). */
  path: string;
  query: Record<string, string | undefined>;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** The raw request body, or undefined when there is none. */
  body: string | undefined;
  requestId: string;
  /** Aborts when the client went away, so long-polls stop waiting for nobody. */
  signal?: AbortSignal;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Handles one request; never throws (every failure becomes an error response). */
export type ApiHandler = (request: ApiRequest) => Promise<ApiResponse>;

/** Where the API reports failures it could not map to a client error. */
export interface ApiLogger {
  error(message: string, details?: Record<string, unknown>): void;
}

/** Logs to the process's standard error, which Lambda ships to CloudWatch. */
export const consoleLogger: ApiLogger = {
  error: (message, details) => console.error(message, details ?? ''),
};

/** Requests larger than this are refused with 413 REQUEST_TOO_LARGE (a 4 MiB body in base64 fits). */
export const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

export function jsonResponse(status: number, value: unknown, requestId: string): ApiResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId },
    body: value === undefined ? '' : JSON.stringify(value),
  };
}
