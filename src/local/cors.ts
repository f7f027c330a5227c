import { errorResponse } from '../api/error-status.ts';
import type { ApiHandler, ApiRequest, ApiResponse } from '../api/http.ts';

/**
 * Which foreign browser origins may call the embedded server: none (`false`, the default),
 * a list of exact origins, or `'*'` any. Pages the broker serves itself are same-origin and
 * always allowed. No credentials are ever allowed: the server has no cookies or sessions.
 */
export type CorsPolicy = '*' | readonly string[] | false;

const ALLOWED_METHODS = 'GET, PUT, POST, DELETE';
/** Response headers a browser script may read besides the safelisted ones. */
const EXPOSED_HEADERS = 'x-request-id, retry-after, allow, www-authenticate';
/** How long a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_SECONDS = '600';
/** Request headers a preflight may ask for when it names none: what the SDK sends. */
const DEFAULT_ALLOWED_HEADERS = 'content-type, accept, authorization';
/** A comma-separated list of header names (RFC 9110 tokens); anything else is not echoed back. */
const HEADER_LIST = /^\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*\s*$/;
/** Fetch metadata of a request a page on another site made (including no-cors ones without Origin). */
const FOREIGN_FETCH_SITES = new Set(['cross-site', 'same-site']);

/**
 * Wraps an API handler with CORS: answers preflights (OPTIONS with
 * `access-control-request-method`) itself with 204, marks responses readable by an allowed
 * origin, and refuses with 403 any other request a browser sends from a foreign origin:
 * a "simple" request (an empty POST, say) reaches a server without a preflight, so hiding
 * the answer alone would not stop its effect. `Access-Control-Allow-Private-Network` is
 * never granted. Requests from non-browser clients carry no `Origin` and pass.
 * @example
 * const handle = withCors(createApi(broker).handle, ['http://localhost:3000']);
 */
export function withCors(handle: ApiHandler, policy: CorsPolicy): ApiHandler {
  return async (request) => {
    const origin = request.headers['origin'];
    const sameOrigin = origin !== undefined && isSameOrigin(request, origin);
    const allowOrigin = origin === undefined || sameOrigin ? undefined : allowedOrigin(policy, origin);
    if (isPreflight(request)) return preflightResponse(request, allowOrigin, policy);
    if (!sameOrigin && allowOrigin === undefined && isForeign(request)) {
      const response = errorResponse(
        'PERMISSION_DENIED',
        `Browsers on origin ${JSON.stringify((origin ?? 'another site').slice(0, 200))} may not call this broker; start it with --cors-origin to allow one.`,
        request.requestId,
      );
      if (policy !== '*' && policy !== false) response.headers['vary'] = 'origin';
      return response;
    }
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

/** A request a browser made for a page of another origin (an Origin, or fetch metadata saying another site). */
function isForeign(request: ApiRequest): boolean {
  if (request.headers['origin'] !== undefined) return true;
  return FOREIGN_FETCH_SITES.has(request.headers['sec-fetch-site'] ?? '');
}

/** The page's origin is this server's: the console the broker serves to the browser. */
function isSameOrigin(request: ApiRequest, origin: string): boolean {
  const host = request.headers['host'];
  if (host === undefined) return false;
  const url = URL.parse(origin);
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host.toLowerCase();
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

function allowedOrigin(policy: CorsPolicy, origin: string): string | undefined {
  if (policy === false) return undefined;
  if (policy === '*') return '*';
  return policy.includes(origin) ? origin : undefined;
}
