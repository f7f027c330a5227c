import { errorResponse } from '../api/error-status.ts';
import type { ApiHandler, ApiRequest, ApiResponse } from '../api/http.ts';
import type { AccessPolicy, Principal } from './access-policy.ts';
import type { MatchedRoute } from './route-match.ts';
import { BODY_DEPENDENT_ROUTES, BODY_NOT_READ, type Requirement, requirementsOf } from './route-permissions.ts';

const BEARER = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i;

/**
 * Wraps the API with bearer-token authentication and per-route permissions. `policy` is
 * read on every request, so a reloaded auth file applies to the next request without
 * touching open connections; undefined means no authentication. Missing or unknown
 * token: 401; a principal without the permission: 403 naming the action and resource.
 *
 * With `bodyRead: false` it judges a request whose body has not been read yet (the server
 * does so before reading any body): the token, and what the route needs whatever its body.
 * The requirements that depend on the body are checked again once it is read.
 * @example
 * const handle = withAuth(api.handle, () => policy, createRouteMatcher());
 */
export function withAuth(
  handle: ApiHandler,
  policy: () => AccessPolicy | undefined,
  matchRoute: (method: string, path: string) => MatchedRoute | undefined,
  { bodyRead = true }: { bodyRead?: boolean } = {},
): ApiHandler {
  return async (request) => {
    const current = policy();
    if (current === undefined) return handle(request);
    const route = matchRoute(request.method, request.path);
    const readsBody = bodyRead && route !== undefined && BODY_DEPENDENT_ROUTES.has(route.operationId);
    const requirements = requirementsOf(route, readsBody ? lenientJson(request.body) : BODY_NOT_READ);
    if (requirements === 'open') return handle(request);
    const token = BEARER.exec(request.headers['authorization'] ?? '')?.[1];
    const principal = token === undefined ? undefined : current.authenticate(token);
    if (principal === undefined) return unauthenticated(request, token !== undefined);
    const missing = firstMissing(principal, requirements);
    if (missing !== undefined) {
      return errorResponse(
        'PERMISSION_DENIED',
        `Principal "${principal.name}" lacks ${missing.action} on ${missing.resource}.`,
        request.requestId,
      );
    }
    return handle(request);
  };
}

function firstMissing(principal: Principal, requirements: readonly Requirement[]): Requirement | undefined {
  return requirements.find((need) => !principal.permits(need.action, need.resource));
}

function unauthenticated(request: ApiRequest, hadToken: boolean): ApiResponse {
  const response = errorResponse(
    'UNAUTHENTICATED',
    hadToken
      ? 'The access token is not valid.'
      : 'This broker requires an access token: send "Authorization: Bearer <token>".',
    request.requestId,
  );
  response.headers['www-authenticate'] = 'Bearer realm="nimbus"';
  return response;
}

/** The body as the router will read it, or nothing when it is not JSON (the router refuses it then). */
function lenientJson(body: string | undefined): unknown {
  if (body === undefined) return {};
  try {
    return JSON.parse(body);
  } catch {
    return {};
  }
}
