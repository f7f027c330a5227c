import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../core/errors.ts';
import { ERROR_STATUS } from './error-status.ts';
import { API_TAGS, type RouteSpec } from './route.ts';
import { ALL_ROUTE_SPECS } from './routes.ts';
import { PATH_PARAMETERS, QUERY_INTEGER_KEY } from './schemas/common.ts';
import { apiSchemas, ERROR_CODE_KEY, type FieldErrorCode } from './schemas/registry.ts';

type JsonObject = Record<string, unknown>;

const SCHEMAS = '#/components/schemas/';
const HEADERS = '#/components/headers/';

export type OpenApiDocument = JsonObject & { openapi: string; paths: Record<string, Record<string, JsonObject>> };

let cached: OpenApiDocument | undefined;

/**
 * The OpenAPI 3.1 document of the whole API, generated from the route table and the same
 * zod schemas that validate requests, so the document cannot drift from the code.
 * @example
 * const document = buildOpenApiDocument();
 * Object.keys(document.paths); // ['/v1/topics/{topic}', ...]
 */
export function buildOpenApiDocument(): OpenApiDocument {
  if (cached) return cached;
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const spec of ALL_ROUTE_SPECS) {
    const methods = paths[spec.path] ?? {};
    methods[spec.method.toLowerCase()] = operation(spec);
    paths[spec.path] = methods;
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Nimbus MQ',
      version: '1.0.0',
      description: [
        'Message queue with Apache RocketMQ semantics: topics, consumer groups, send, receive, ack, dead letters.',
        'Every error answers `{ code, message, requestId }`; each error response lists its codes in `x-error-codes`, and request fields with a code of their own carry it in `x-error-code`.',
        'A path the API does not have answers 404 ROUTE_NOT_FOUND; a path it has with another method answers 405 METHOD_NOT_ALLOWED with an `allow` header.',
      ].join('\n\n'),
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: SERVERS,
    security: [{ bearerAuth: [] }, { sigv4: [] }],
    tags: Object.entries(API_TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: SECURITY_SCHEMES,
      headers: RESPONSE_HEADERS,
      responses: { MethodNotAllowed: methodNotAllowed() },
    },
  };
  return cached;
}

// Server variables carry no `description`: an early OpenAPI 3.1 JSON Schema, still used by
// validators, misspells it. The server descriptions say what each variable is.
const SERVERS = [
  {
    url: 'http://127.0.0.1:{port}',
    description: 'The embedded broker (`npm start`) on loopback; `port` is the `--port` of `nimbus start`.',
    variables: { port: { default: '9800' } },
  },
  {
    url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
    description: 'An AWS deployment (`cdk deploy` prints its URL): the id of its HTTP API and its region.',
    variables: { apiId: { default: 'abcdef1234' }, region: { default: 'us-east-1' } },
  },
];

const SECURITY_SCHEMES = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    description:
      'Embedded broker: `Authorization: Bearer <token>` with an access key’s token. A broker on loopback without access keys takes requests without one.',
  },
  sigv4: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description:
      'AWS deployment: IAM. Sign every request with AWS Signature Version 4 (service `execute-api`, with its `x-amz-date` and, for temporary credentials, `x-amz-security-token` headers) as a principal allowed `execute-api:Invoke` on the API.',
    'x-amazon-apigateway-authtype': 'awsSigv4',
  },
};

const RESPONSE_HEADERS = {
  RequestId: {
    description: 'Identifies the request in the server log; error bodies repeat it as `requestId`.',
    schema: { type: 'string' },
  },
  RetryAfter: {
    description: 'Seconds to wait before retrying.',
    schema: { type: 'integer', minimum: 0 },
  },
  Allow: {
    description: 'The methods the path takes, e.g. `GET, PUT, DELETE`.',
    schema: { type: 'string' },
  },
};

const header = (name: keyof typeof RESPONSE_HEADERS) => ({ $ref: `${HEADERS}${name}` });

let components: Record<string, JsonObject> | undefined;

function componentSchemas(): Record<string, JsonObject> {
  components ??= buildComponentSchemas();
  return components;
}

function buildComponentSchemas(): Record<string, JsonObject> {
  const { schemas } = z.toJSONSchema(apiSchemas, { uri: (id) => `${SCHEMAS}${id}`, io: 'input' });
  const out: Record<string, JsonObject> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    // Components are embedded, not standalone documents: drop the dialect and self-id.
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonObject;
    out[id] = rest;
  }
  return out;
}

function refTo(schema: z.ZodType): JsonObject {
  const id = apiSchemas.get(schema)?.id;
  if (!id) throw new Error('route schemas must be registered in apiSchemas');
  return { $ref: `${SCHEMAS}${id}` };
}

function operation(spec: RouteSpec): JsonObject {
  const parameters = [...pathParameters(spec), ...queryParameters(spec)];
  const op: JsonObject = { operationId: spec.operationId, summary: spec.summary };
  if (spec.description) op['description'] = spec.description;
  op['tags'] = [spec.tag];
  if (spec.public) op['security'] = [];
  if (parameters.length > 0) op['parameters'] = parameters;
  if (spec.request) op['requestBody'] = requestBody(spec, spec.request);
  op['responses'] = responses(spec, parameters);
  return op;
}

function requestBody(spec: RouteSpec, schema: z.ZodType): JsonObject {
  const optional = acceptsEmptyBody(spec, schema);
  return {
    required: !optional,
    ...(optional ? { description: 'Optional: an absent or empty body is read as `{}`.' } : {}),
    content: { 'application/json': { schema: refTo(schema) } },
  };
}

/** The router reads an absent or empty body as `{}`: the body is optional when `{}` is valid. */
function acceptsEmptyBody(spec: RouteSpec, schema: z.ZodType): boolean {
  if (!spec.parseBody) return schema.safeParse({}).success;
  try {
    spec.parseBody({});
    return true;
  } catch {
    return false;
  }
}

/** A zod schema as the schema of a parameter: its description moves up to the parameter. */
function parameterSchema(schema: z.ZodType): { description?: string; schema: JsonObject } {
  const { $schema: _dialect, description, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as JsonObject;
  const range = rest[QUERY_INTEGER_KEY] as { minimum: number; maximum: number } | undefined;
  // Query values travel as text; the document states what they must spell: an integer in range.
  const json = range ? { type: 'integer', ...range } : rest;
  return { ...(typeof description === 'string' ? { description } : {}), schema: json };
}

function pathParameters(spec: RouteSpec): JsonObject[] {
  return [...spec.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => {
    const schema = spec.params?.[name as string] ?? PATH_PARAMETERS[name as string];
    if (!schema) throw new Error(`path parameter {${name}} of ${spec.operationId} has no schema`);
    return { name, in: 'path', required: true, ...parameterSchema(schema) };
  });
}

function queryParameters(spec: RouteSpec): JsonObject[] {
  if (!(spec.query instanceof z.ZodObject)) return [];
  return Object.entries(spec.query.shape as Record<string, z.ZodType>).map(([name, schema]) => ({
    name,
    in: 'query',
    required: !schema.safeParse(undefined).success,
    ...parameterSchema(schema),
  }));
}

/** Errors every route may answer: the server failed, or the store asks callers to slow down. */
const SERVER_ERRORS: readonly ErrorCode[] = ['INTERNAL', 'STORE_THROTTLED', 'STORE_UNAVAILABLE'];

/**
 * What the transport answers before a route runs, on any route: an oversized or too slowly
 * sent request, a foreign Host (embedded broker), too many connections or pending bytes.
 */
const TRANSPORT_ERRORS: readonly ErrorCode[] = [
  'REQUEST_TOO_LARGE',
  'REQUEST_TIMEOUT',
  'MISDIRECTED_REQUEST',
  'SERVER_BUSY',
];

/** Long-polls are also capped per client (429) by the embedded broker. */
const LONG_POLL_OPERATIONS = new Set(['receiveMessages', 'receiveTransactionChecks']);

/** Codes of missing or refused credentials, once the API has them. */
const AUTH_ERRORS = ERROR_CODES.filter((code) => /^(UNAUTHENTICATED|PERMISSION_DENIED)$/.test(code));

function errorCodes(spec: RouteSpec, parameters: readonly JsonObject[]): ErrorCode[] {
  const codes: ErrorCode[] = [...spec.errors, ...SERVER_ERRORS, ...TRANSPORT_ERRORS];
  if (LONG_POLL_OPERATIONS.has(spec.operationId)) codes.push('TOO_MANY_REQUESTS');
  if (!spec.public) codes.push(...AUTH_ERRORS);
  if (spec.request || parameters.length > 0) codes.push('INVALID_REQUEST');
  // Values of the right type outside their range (see request-parsing.ts).
  if (spec.request || spec.query) codes.push('INVALID_ARGUMENT');
  if (spec.request) {
    codes.push('UNSUPPORTED_MEDIA_TYPE', ...fieldCodes(componentSchemas()[refName(spec.request)]));
  }
  for (const parameter of parameters) codes.push(...fieldCodes(parameter['schema']));
  // An empty path parameter (`/v1/topics/`) matches no route.
  if (spec.path.includes('{')) codes.push('ROUTE_NOT_FOUND');
  return [...new Set(codes)];
}

function refName(schema: z.ZodType): string {
  return String(refTo(schema)['$ref']).slice(SCHEMAS.length);
}

/** Every `x-error-code` in a JSON schema and the components it references. */
function fieldCodes(schema: unknown, seen = new Set<string>()): ErrorCode[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const codes: ErrorCode[] = [];
  for (const [key, value] of Object.entries(schema)) {
    if (key === ERROR_CODE_KEY) {
      const code = value as FieldErrorCode;
      codes.push(...(typeof code === 'string' ? [code] : (Object.values(code) as ErrorCode[])));
    } else if (key === '$ref' && typeof value === 'string' && !seen.has(value)) {
      seen.add(value);
      codes.push(...fieldCodes(componentSchemas()[value.slice(SCHEMAS.length)], seen));
    } else {
      codes.push(...fieldCodes(value, seen));
    }
  }
  return codes;
}

const errorContent = { 'application/json': { schema: { $ref: `${SCHEMAS}Error` } } };

function responses(spec: RouteSpec, parameters: readonly JsonObject[]): JsonObject {
  const out: JsonObject = spec.response
    ? {
        '200': {
          description: 'OK',
          headers: { 'x-request-id': header('RequestId') },
          content: { 'application/json': { schema: refTo(spec.response) } },
        },
      }
    : { '204': { description: 'Done; no content.', headers: { 'x-request-id': header('RequestId') } } };
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodes(spec, parameters)) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: `Error codes: ${codes.join(', ')}.`,
      'x-error-codes': codes,
      headers: {
        'x-request-id': header('RequestId'),
        ...(status === 503 || status === 429 ? { 'retry-after': header('RetryAfter') } : {}),
      },
      content: errorContent,
    };
  }
  out['405'] = { $ref: '#/components/responses/MethodNotAllowed' };
  return out;
}

/**
 * OpenAPI has no place for the answer to a method a path lacks, so every operation
 * references this one response for it.
 */
function methodNotAllowed(): JsonObject {
  return {
    description:
      'Error code: METHOD_NOT_ALLOWED. The path does not take this method; `allow` lists the ones it takes. (Listed on every operation because OpenAPI cannot declare the answer to a method a path lacks.)',
    'x-error-codes': ['METHOD_NOT_ALLOWED'],
    headers: { 'x-request-id': header('RequestId'), allow: header('Allow') },
    content: errorContent,
  };
}
