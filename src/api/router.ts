import { NimbusError } from '../core/errors.ts';
import { responseForError } from './error-status.ts';
import { type ApiHandler, type ApiLogger, type ApiRequest, consoleLogger, jsonResponse } from './http.ts';
import { assertRequestSize, readJsonBody, validate } from './request-parsing.ts';
import type { BoundRoute } from './route.ts';

export interface ApiOptions {
  /** Where unexpected failures are logged; default standard error. */
  logger?: ApiLogger;
  /** Checks every response against its schema (tests use it to keep /openapi.json honest). */
  validateResponses?: boolean;
  /**
   * Most message body bytes one response carries: a receive (the rest stays for the next
   * receive) or a page of dead letters (the rest comes on the next page). At least one message
   * always goes out. Set by transports with a response limit. @default no limit for receive,
   * 16 MiB for a dead-letter page
   */
  maxResponseMessageBytes?: number;
}

/** A request handler over a set of routes. */
export interface Api {
  handle: ApiHandler;
  routes: readonly BoundRoute[];
}

interface CompiledRoute {
  route: BoundRoute;
  segments: readonly string[];
}

/**
 * Builds the handler for a set of routes: size check, routing (404/405), body parsing
 * (415, bad JSON), validation, the implementation, and the one error mapping. Nothing
 * reaches the broker before the whole request is valid, so bad input never half-writes.
 * @example
 * const api = createRouter(messageRoutes(broker));
 * const response = await api.handle(request);
 */
export function createRouter(routes: readonly BoundRoute[], options: ApiOptions = {}): Api {
  const logger = options.logger ?? consoleLogger;
  const compiled: CompiledRoute[] = routes.map((route) => ({ route, segments: route.spec.path.split('/') }));

  async function handle(request: ApiRequest): Promise<ApiResponse> {
    try {
      assertRequestSize(request.body);
      const { route, params } = match(compiled, request);
      const { spec } = route;
      const body = spec.parseBody
        ? spec.parseBody(readJsonBody(request))
        : spec.request && validate(spec.request, readJsonBody(request), 'body');
      const query = spec.query ? validate(spec.query, request.query, 'query') : undefined;
      const result = await route.run({ params, body, query, request } as Parameters<BoundRoute['run']>[0]);
      if (!spec.response) return jsonResponse(204, undefined, request.requestId);
      if (options.validateResponses) {
        const check = spec.response.safeParse(result);
        if (!check.success) throw new Error(`response of ${spec.operationId} breaks its schema: ${check.error}`);
      }
      return jsonResponse(200, result, request.requestId);
    } catch (error) {
      const response = responseForError(error, request.requestId, logger);
      if (error instanceof MethodNotAllowed) response.headers['allow'] = error.allowed.join(', ');
      return response;
    }
  }

  return { handle, routes };
}

type ApiResponse = Awaited<ReturnType<ApiHandler>>;

class MethodNotAllowed extends NimbusError {
  readonly allowed: string[];

  constructor(method: string, allowed: string[]) {
    super('METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allowed.join(', ')}.`);
    this.allowed = allowed;
  }
}

function match(routes: readonly CompiledRoute[], request: ApiRequest) {
  const segments = request.path.split('/');
  const allowed: string[] = [];
  for (const candidate of routes) {
    const params = matchPath(candidate.segments, segments);
    if (!params) continue;
    if (candidate.route.spec.method === request.method.toUpperCase()) return { route: candidate.route, params };
    allowed.push(candidate.route.spec.method);
  }
  if (allowed.length > 0) throw new MethodNotAllowed(request.method, allowed);
  throw new NimbusError('ROUTE_NOT_FOUND', `No route ${request.method} ${request.path.slice(0, 200)}.`);
}

function matchPath(template: readonly string[], actual: readonly string[]): Record<string, string> | undefined {
  if (template.length !== actual.length) return undefined;
  const raw: [string, string][] = [];
  for (const [i, part] of template.entries()) {
    const value = actual[i] as string;
    if (part.startsWith('{') && part.endsWith('}')) {
      if (value === '') return undefined;
      raw.push([part.slice(1, -1), value]);
    } else if (part !== value) {
      return undefined;
    }
  }
  return Object.fromEntries(raw.map(([name, value]) => [name, decodeSegment(value)]));
}

function decodeSegment(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new NimbusError('INVALID_REQUEST', 'The path has a malformed percent-encoding.');
  }
}
