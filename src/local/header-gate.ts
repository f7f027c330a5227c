import type { ApiHandler, ApiRequest, ApiResponse } from '../api/http.ts';

/**
 * Judges a request on its method, path and headers alone, before its body is read: the
 * refusal to send (421, 403, 401, a preflight's 204), or undefined to go on and read it.
 */
export type HeaderGate = (request: ApiRequest) => Promise<ApiResponse | undefined>;

/**
 * Runs guards written as handler wrappers (Host check, CORS, authentication) as a gate:
 * the wrapped handler only marks that every guard let the request through. Guards that
 * decorate responses (CORS headers) decorate their refusals the same way as on the full path.
 * @example
 * const beforeBody = headerGate((inner) => withHostCheck(inner, allowedHostNames('127.0.0.1')));
 * await beforeBody({ ...request, body: undefined }); // undefined: read the body and handle it
 */
export function headerGate(guards: (inner: ApiHandler) => ApiHandler): HeaderGate {
  const passed = new WeakSet<ApiResponse>();
  const guarded = guards(async () => {
    const marker: ApiResponse = { status: 0, headers: {}, body: '' };
    passed.add(marker);
    return marker;
  });
  return async (request) => {
    const response = await guarded(request);
    return passed.has(response) ? undefined : response;
  };
}
