import type { Broker } from '../core/broker.ts';
import { adminRoutes, metaRoutes } from './handlers/admin.ts';
import { consumeRoutes } from './handlers/consume.ts';
import { messageRoutes } from './handlers/messages.ts';
import { queryRoutes } from './handlers/query.ts';
import { scheduledRoutes } from './handlers/scheduled.ts';
import { producerGroupRoutes, transactionDecisionRoutes } from './handlers/transactions.ts';
import { consoleLogger } from './http.ts';
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
  const api = createRouter(
    [
      ...messageRoutes(broker),
      ...consumeRoutes(broker, options),
      ...adminRoutes(broker, options),
      ...scheduledRoutes(broker),
      ...queryRoutes(broker),
      ...producerGroupRoutes(broker),
      ...transactionDecisionRoutes(broker),
      ...metaRoutes(),
    ],
    options,
  );
  const logger = options?.logger ?? consoleLogger;
  return {
    ...api,
    // Every 5xx names its request id in the log, so the id a client reports finds the failure.
    // A 500 was logged with its error already (responseForError); the others are logged here.
    handle: async (request) => {
      const response = await api.handle(request);
      if (response.status > 500) {
        logger.error(`${request.method} ${request.path.slice(0, 200)} answered ${response.status}`, {
          requestId: request.requestId,
          status: response.status,
        });
      }
      return response;
    },
  };
}
