import type { RouteSpec } from '../api/route.ts';
import { ALL_ROUTE_SPECS } from '../api/routes.ts';

/** The route a request is for, with its path parameters, as the embedded server's guards see it. */
export interface MatchedRoute {
  operationId: string;
  params: Record<string, string>;
}

interface CompiledSpec {
  spec: RouteSpec;
  segments: readonly string[];
}

/**
 * Finds the route of a method and path, the way the API router does, so that guards in
 * front of the API (permissions, long-poll limits) decide before the router runs.
 * Undefined when no route matches: the router will answer 404 or 405.
 * @example
 * const match = createRouteMatcher();
 * match('POST', '/v1/topics/orders/messages'); // { operationId: 'sendMessages', params: { topic: 'orders' } }
 */
export function createRouteMatcher(
  specs: readonly RouteSpec[] = ALL_ROUTE_SPECS,
): (method: string, path: string) => MatchedRoute | undefined {
  const compiled: CompiledSpec[] = specs.map((spec) => ({ spec, segments: spec.path.split('/') }));
  return (method, path) => {
    const actual = path.split('/');
    const upper = method.toUpperCase();
    for (const { spec, segments } of compiled) {
      if (spec.method !== upper || segments.length !== actual.length) continue;
      const params = matchSegments(segments, actual);
      if (params) return { operationId: spec.operationId, params };
    }
    return undefined;
  };
}

function matchSegments(template: readonly string[], actual: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [i, part] of template.entries()) {
    const value = actual[i] as string;
    if (part.startsWith('{') && part.endsWith('}')) {
      if (value === '') return undefined;
      params[part.slice(1, -1)] = decodeOrKeep(value);
    } else if (part !== value) {
      return undefined;
    }
  }
  return params;
}

/** A malformed escape is the router's 400 to give; a guard sees the raw text, which names no resource. */
function decodeOrKeep(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
