import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { startFauxqs } from 'fauxqs';
import { HEALTH_ROUTE, HTTP_ROUTES, type HttpFunctionName } from '../../lib/api-routes.ts';
import type { FunctionName } from '../../lib/function-bundling.ts';
import { ensureTables, tableDefinitions } from '../../src/adapters/dynamodb/index.ts';
import { lambdaContext } from '../../src/push/in-process-invoker.ts';
import { Client, type RequestSigner } from '../../src/sdk/index.ts';
import { startDynamoDbLocal } from '../support/dynamodb-local.ts';
import { asFunction, recordStoreCalls } from './store-calls.ts';

export const REGION = 'us-east-1';
export const API_HOST = 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com';

/** What a Lambda handler looks like from the outside: (event, context) => result. */
export type LambdaEntry<E, R> = (event: E, context: Context) => Promise<R>;

export interface LambdaEnvironment {
  tablePrefix: string;
  bucket: string;
  stop(): Promise<void>;
}

/**
 * Sets up what the stack gives a deployed function, locally: the tables (from the same
 * definitions) in DynamoDB Local, the body bucket in an S3 emulator, and the environment
 * variables the stack sets. The AWS SDK inside the functions finds both endpoints through
 * its own AWS_ENDPOINT_URL_* variables; the function code is unchanged.
 */
export async function startLambdaEnvironment(): Promise<LambdaEnvironment> {
  const dynamo = await startDynamoDbLocal();
  const s3 = await startFauxqs({ port: 0, logger: false });
  const tablePrefix = `fn-${randomUUID().slice(0, 8)}`;
  const bucket = 'nimbus-bodies';
  s3.createBucket(bucket);
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_S3: s3.address,
    NIMBUS_TABLE_PREFIX: tablePrefix,
    NIMBUS_BODY_BUCKET: bucket,
    POWERTOOLS_SERVICE_NAME: 'nimbus-mq',
    POWERTOOLS_METRICS_NAMESPACE: 'NimbusMQ',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    // The functions still record metrics; only the stdout EMF lines are muted in tests.
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: REGION });
  await ensureTables(client, Object.values(tableDefinitions(tablePrefix)));
  client.destroy();
  recordStoreCalls(tablePrefix);
  return {
    tablePrefix,
    bucket,
    stop: async () => {
      await s3.stop();
      await dynamo.stop();
    },
  };
}

/**
 * Invokes a handler the way Lambda does: the event and a fresh context with the function's
 * timeout. The store calls it makes are recorded as this function's (store-calls.ts).
 */
export function invoke<E, R>(
  entry: LambdaEntry<E, R>,
  event: E,
  functionName: FunctionName,
  timeoutMs = 29_000,
): Promise<R> {
  return asFunction(functionName, () => entry(event, lambdaContext(functionName, { timeoutMs, memoryLimitInMB: 256 })));
}

export interface HttpCall {
  method: string;
  /** Path with query string, as a client sends it. */
  url: string;
  headers?: Record<string, string>;
  body?: string;
  base64?: boolean;
}

/** The function (per the stack's route table) and route key API Gateway would pick for a request. */
export function routeFor(
  method: string,
  path: string,
): { fn: HttpFunctionName; routeKey: string; params: Record<string, string> } {
  for (const [fn, routes] of Object.entries(HTTP_ROUTES) as [
    HttpFunctionName,
    (typeof HTTP_ROUTES)[HttpFunctionName],
  ][]) {
    for (const route of routes) {
      const params = matchTemplate(route.path, path);
      if (params && route.method === method) return { fn, routeKey: `${route.method} ${route.path}`, params };
    }
  }
  return { fn: 'admin', routeKey: '$default', params: {} };
}

/** An API Gateway HTTP API (payload 2.0) event with IAM authorization, as Lambda receives it. */
export function httpEvent(call: HttpCall): APIGatewayProxyEventV2WithIAMAuthorizer {
  const url = new URL(call.url, `https://${API_HOST}`);
  const route = routeFor(call.method, url.pathname);
  const now = new Date();
  const headers: Record<string, string> = {
    host: API_HOST,
    'user-agent': 'nimbus-tests',
    'x-amz-date': now.toISOString().replace(/[-:]|\.\d+/g, ''),
    'x-forwarded-proto': 'https',
    ...Object.fromEntries(Object.entries(call.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
    pathParameters: Object.keys(route.params).length > 0 ? route.params : undefined,
    requestContext: {
      accountId: '123456789012',
      apiId: API_HOST.split('.')[0] as string,
      authorizer: {
        iam: {
          accessKey: 'AKIAEXAMPLE',
          accountId: '123456789012',
          callerId: 'AROAEXAMPLE:tests',
          // Payload 2.0 sends null for these on IAM-authorized requests without Cognito or an organization.
          cognitoIdentity:
            null as unknown as APIGatewayProxyEventV2WithIAMAuthorizer['requestContext']['authorizer']['iam']['cognitoIdentity'],
          principalOrgId: null as unknown as string,
          userArn: 'arn:aws:sts::123456789012:assumed-role/app/tests',
          userId: 'AROAEXAMPLE:tests',
        },
      },
      domainName: API_HOST,
      domainPrefix: API_HOST.split('.')[0] as string,
      http: {
        method: call.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'nimbus-tests',
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: call.base64 && call.body !== undefined ? Buffer.from(call.body).toString('base64') : call.body,
    isBase64Encoded: call.base64 ?? false,
  };
}

export type HttpHandlers = Record<
  HttpFunctionName,
  LambdaEntry<APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2>
>;

/**
 * A `fetch` that does what API Gateway does for the stack: refuses unsigned requests (but
 * the open health check), picks the function by the stack's route table, builds the event
 * and invokes the handler.
 * The SDK pointed at it runs exactly as against a deployment.
 */
export function apiGatewayFetch(handlers: HttpHandlers): typeof fetch {
  return async (input, init) => {
    const url = String(input);
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const open = (init?.method ?? 'GET') === HEALTH_ROUTE.method && new URL(url).pathname === HEALTH_ROUTE.path;
    if (!open && !headers['authorization']?.startsWith('AWS4-HMAC-SHA256 ')) {
      return new Response('{"message":"Forbidden"}', { status: 403 });
    }
    const call: HttpCall = { method: init?.method ?? 'GET', url, headers, body: init?.body as string | undefined };
    const event = httpEvent(call);
    const fn = routeFor(call.method, new URL(url).pathname).fn;
    const result = await invoke(handlers[fn], event, fn);
    return new Response(result.body === '' ? null : (result.body ?? null), {
      status: result.statusCode ?? 200,
      headers: result.headers as Record<string, string>,
    });
  };
}

function matchTemplate(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const value = got[i] as string;
    if (part.startsWith('{')) params[part.slice(1, -1)] = decodeURIComponent(value);
    else if (part !== value) return undefined;
  }
  return params;
}

/**
 * The HTTP functions as Lambda loads them. Call it after `startLambdaEnvironment()`: like a
 * configured container, each function reads its environment when its module loads.
 */
export async function loadHttpHandlers(): Promise<HttpHandlers> {
  return {
    send: (await import('../../functions/send.ts')).handler,
    'consume-pull': (await import('../../functions/consume-pull.ts')).handler,
    admin: (await import('../../functions/admin.ts')).handler,
    'transaction-commit': (await import('../../functions/transaction-commit.ts')).handler,
  };
}

/**
 * An SDK client that reaches the functions through `apiGatewayFetch`. Without a signer its
 * requests carry a SigV4-shaped authorization header: the harness checks the shape only.
 */
export function apiGatewayClient(handlers: HttpHandlers, signer?: RequestSigner): Client {
  const fetchThroughGateway = apiGatewayFetch(handlers);
  return new Client({
    endpoint: `https://${API_HOST}`,
    signer,
    fetch: signer
      ? fetchThroughGateway
      : (input, init) =>
          fetchThroughGateway(input, {
            ...init,
            headers: { ...(init?.headers as Record<string, string>), authorization: 'AWS4-HMAC-SHA256 test' },
          }),
  });
}
