import type { FunctionName } from './function-bundling.ts';

export type RouteMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface RouteBinding {
  method: RouteMethod;
  /** API Gateway path template, the same `{name}` syntax as the API's route table. */
  path: string;
}

/**
 * Which function serves which route. The stack cannot import the API (it references
 * handler code by path only), so the routes are listed here; test/cdk checks that this
 * table and the API's route table (src/api/routes.ts) are the same set.
 */
export const HTTP_ROUTES = {
  send: [{ method: 'POST', path: '/v1/topics/{topic}/messages' }],
  'transaction-commit': [
    { method: 'POST', path: '/v1/transactions/{transactionId}/commit' },
    { method: 'POST', path: '/v1/transactions/{transactionId}/rollback' },
  ],
  'consume-pull': [
    { method: 'POST', path: '/v1/groups/{group}/receive' },
    { method: 'POST', path: '/v1/groups/{group}/ack' },
    { method: 'POST', path: '/v1/groups/{group}/nack' },
    { method: 'POST', path: '/v1/groups/{group}/change-invisible-duration' },
  ],
  admin: [
    { method: 'GET', path: '/v1/topics' },
    { method: 'PUT', path: '/v1/topics/{topic}' },
    { method: 'GET', path: '/v1/topics/{topic}' },
    { method: 'DELETE', path: '/v1/topics/{topic}' },
    { method: 'GET', path: '/v1/groups' },
    { method: 'PUT', path: '/v1/groups/{group}' },
    { method: 'GET', path: '/v1/groups/{group}' },
    { method: 'DELETE', path: '/v1/groups/{group}' },
    { method: 'GET', path: '/v1/groups/{group}/dlq' },
    { method: 'POST', path: '/v1/groups/{group}/dlq/redrive' },
    { method: 'GET', path: '/v1/topics/{topic}/scheduled' },
    { method: 'DELETE', path: '/v1/topics/{topic}/scheduled/{msgId}' },
    { method: 'GET', path: '/v1/messages/{msgId}' },
    { method: 'GET', path: '/v1/messages/{msgId}/trace' },
    { method: 'GET', path: '/v1/topics/{topic}/messages' },
    { method: 'GET', path: '/v1/topics/{topic}/stats' },
    { method: 'GET', path: '/v1/groups/{group}/stats' },
    { method: 'POST', path: '/v1/groups/{group}/reset-offset' },
    { method: 'GET', path: '/v1/producer-groups' },
    { method: 'PUT', path: '/v1/producer-groups/{group}' },
    { method: 'GET', path: '/v1/producer-groups/{group}' },
    { method: 'DELETE', path: '/v1/producer-groups/{group}' },
    { method: 'POST', path: '/v1/producer-groups/{group}/checks/receive' },
    { method: 'GET', path: '/openapi.json' },
    { method: 'GET', path: '/healthz' },
  ],
} as const satisfies Partial<Record<FunctionName, readonly RouteBinding[]>>;

export type HttpFunctionName = keyof typeof HTTP_ROUTES;

/** The one route without IAM auth: uptime probes cannot sign requests. */
export const HEALTH_ROUTE = { method: 'GET', path: '/healthz' } as const satisfies RouteBinding;

/** The long-poll: its latency is the caller's `waitMs`, not the service's speed. */
export const RECEIVE_ROUTE = { method: 'POST', path: '/v1/groups/{group}/receive' } as const satisfies RouteBinding;

/**
 * The web console's static files, served by the console function without IAM auth (a
 * browser cannot sign the request for a page); the page then signs every API call itself.
 * API Gateway routes `/console/` to `GET /console` with the slash kept in `rawPath`, where
 * the function serves the page (and redirects a bare `/console` there).
 */
export const CONSOLE_ROUTES = [
  { method: 'GET', path: '/console' },
  { method: 'GET', path: '/console/{proxy+}' },
] as const satisfies readonly RouteBinding[];
