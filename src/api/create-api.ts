import type { Broker } from '../core/broker.ts';
import { adminRoutes, metaRoutes } from './handlers/admin.ts';
import { consumeRoutes } from './handlers/consume.ts';
import { messageRoutes } from './handlers/messages.ts';
import { scheduledRoutes } from './handlers/scheduled.ts';
import { type Api, type ApiOptions, createRouter } from './router.ts';

/**
 * The whole HTTP API over one broker, transport-neutral: adapt node:http or API Gateway
 * events to `ApiRequest` and call `handle`.
 * @example
 * const api = createApi(broker);
 * const response = await api.handle({
 *   method: 'GET', path: '/v1/topics', query: {}, headers: {}, body: undefined, requestId: 'r1',
 * });
 */
export function createApi(broker: Broker, options?: ApiOptions): Api {
  return createRouter(
    [
      ...messageRoutes(broker),
      ...consumeRoutes(broker, options),
      ...adminRoutes(broker, options),
      ...scheduledRoutes(broker),
      ...metaRoutes(),
    ],
    options,
  );
}
