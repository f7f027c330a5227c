import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiRequest, ApiResponse } from '../api/http.ts';

/**
 * Turns an API Gateway HTTP API event (payload format 2.0) into the API's transport-neutral
 * request. `rawPath` keeps the percent-encoding the API expects; the query string is parsed
 * from `rawQueryString` so a repeated parameter keeps its first value rather than API
 * Gateway's comma-joined list.
 */
export function toApiRequest(event: APIGatewayProxyEventV2, signal?: AbortSignal): ApiRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  // Payload 2.0 moves cookies out of the headers; put them back for handlers that read them.
  if (event.cookies && event.cookies.length > 0) headers['cookie'] = event.cookies.join('; ');
  const query: Record<string, string | undefined> = {};
  for (const [name, value] of new URLSearchParams(event.rawQueryString ?? '')) {
    if (!(name in query)) query[name] = value;
  }
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    query,
    headers,
    body: decodeBody(event),
    requestId: event.requestContext.requestId,
    signal,
  };
}

/** Turns the API's response into the structured result API Gateway maps back to HTTP. */
export function toHttpResult(response: ApiResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.status,
    headers: response.headers,
    body: response.body,
    isBase64Encoded: false,
  };
}

function decodeBody(event: APIGatewayProxyEventV2): string | undefined {
  if (event.body === undefined || event.body === null) return undefined;
  // API Gateway base64-encodes bodies whose content type it does not consider text.
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}
