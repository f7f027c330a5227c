import type { ApiHandler, ApiRequest, ApiResponse } from '../api/http.ts';

/**
 * Which browser origins may call the embedded server: `'*'` any (the default, so a console
 * or app served from another port works), a list of exact origins, or `false` for none.
 * No credentials are ever allowed: the embedded server has no cookies or sessions to expose.
 */
export type CorsPolicy = '*' | readonly string[] | false;

const ALLOWED_METHODS = 'GET, PUT, POST, DELETE';
/** Response headers a browser script may read besides the safelisted ones. */
const EXPOSED_HEADERS = 'x-request-id, retry-after, allow';
/** How long a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_SECONDS = '600';
/** Request headers a preflight may ask for when it names none: what the SDK sends. */
const DEFAULT_ALLOWED_HEADERS = 'content-type, accept, authorization';
/** A comma-separated list of header names (RFC 9110 tokens); anything else is not echoed back. */
const HEADER_LIST = /^\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*\s*$/;

/**
 * Wraps an API handler with CORS: answers preflights (OPTIONS with
 * `access-control-request-method`) itself with 204, and marks every other response
 * readable by an allowed origin. Requests without an `Origin` header pass through untouched.
 * @example
 * const handle = withCors(createApi(broker).handle, '*');
 */
export function withCors(handle: ApiHandler, policy: CorsPolicy): ApiHandler {
  if (policy === false) return handle;
  return async (request) => {
    const origin = request.headers['origin'];
    const allowOrigin = origin === undefined ? undefined : allowedOrigin(policy, origin);
    if (isPreflight(request)) return preflightResponse(request, allowOrigin, policy);
    const response = await handle(request);
    // The answer depends on the Origin when origins are listed, so caches must key on it.
    if (origin !== undefined && policy !== '*') response.headers['vary'] = 'origin';
    if (allowOrigin !== undefined) {
      response.headers['access-control-allow-origin'] = allowOrigin;
      response.headers['access-control-expose-headers'] = EXPOSED_HEADERS;
    }
    return response;
  };
}

function isPreflight(request: ApiRequest): boolean {
  return (
    request.method.toUpperCase() === 'OPTIONS' &&
    request.headers['origin'] !== undefined &&
    request.headers['access-control-request-method'] !== undefined
  );
}

/** A preflight from an origin that is not allowed still gets 204, but no CORS headers: the browser refuses. */
function preflightResponse(request: ApiRequest, allowOrigin: string | undefined, policy: CorsPolicy): ApiResponse {
  const headers: Record<string, string> = { 'x-request-id': request.requestId };
  if (policy !== '*') headers['vary'] = 'origin';
  if (allowOrigin !== undefined) {
    const asked = request.headers['access-control-request-headers'];
    Object.assign(headers, {
      'access-control-allow-origin': allowOrigin,
      'access-control-allow-methods': ALLOWED_METHODS,
      'access-control-allow-headers': asked !== undefined && HEADER_LIST.test(asked) ? asked : DEFAULT_ALLOWED_HEADERS,
      'access-control-max-age': PREFLIGHT_MAX_AGE_SECONDS,
    });
  }
  return { status: 204, headers, body: '' };
}

function allowedOrigin(policy: '*' | readonly string[], origin: string): string | undefined {
  if (policy === '*') return '*';
  return policy.includes(origin) ? origin : undefined;
}
