import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Api, ApiOptions } from '../api/router.ts';
import type { Broker } from '../core/broker.ts';
import { sharedBroker } from './broker-from-env.ts';
import { toApiRequest, toHttpResult } from './http-event.ts';
import { apiLogger, lambdaHandler } from './observability.ts';

/**
 * Most message body bytes one response carries (a receive, a page of dead letters). Lambda returns at most 6 MB to API Gateway;
 * bodies go out as text or base64 (4/3 of the bytes), so 3.5 MiB of bodies is at most ~4.7 MiB
 * encoded, with room for the other fields. One message always goes out (a 4 MiB body as
 * base64 is ~5.3 MiB); the rest comes with the next receive or page.
 */
export const MAX_RESPONSE_MESSAGE_BYTES = 3.5 * 1024 * 1024;

/** One of the API's per-area handler factories (createMessagesHandler, createConsumeHandler, ...). */
export type ApiFactory = (broker: Broker, options?: ApiOptions) => Api;

/**
 * A Lambda handler for API Gateway HTTP API events that serves one area of the API with
 * the same handler factory the embedded server mounts: the event becomes an ApiRequest,
 * the ApiResponse becomes the integration result. The request's signal aborts a long-poll
 * shortly before the function times out.
 * @example
 * export const handler = httpFunction(createConsumeHandler);
 */
export function httpFunction(factory: ApiFactory) {
  let api: Promise<Api> | undefined;
  const apiOnce = () => {
    api ??= sharedBroker()
      .then((broker) => factory(broker, { logger: apiLogger, maxResponseMessageBytes: MAX_RESPONSE_MESSAGE_BYTES }))
      .catch((error: unknown) => {
        api = undefined;
        throw error;
      });
    return api;
  };
  return lambdaHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(async (event, _context, signal) => {
    const response = await (await apiOnce()).handle(toApiRequest(event, signal));
    return toHttpResult(response);
  });
}
