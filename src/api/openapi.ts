import { z } from 'zod';
import type { ErrorCode } from '../core/errors.ts';
import { ERROR_STATUS } from './error-status.ts';
import type { RouteSpec } from './route.ts';
import { ALL_ROUTE_SPECS } from './routes.ts';
import { apiSchemas } from './schemas/registry.ts';

type JsonObject = Record<string, unknown>;

const COMPONENT_PREFIX = '#/components/schemas/';
const NAME_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

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
      description: 'Message queue with Apache RocketMQ semantics: topics, consumer groups, send, receive, ack.',
    },
    tags: [...new Set(ALL_ROUTE_SPECS.map((spec) => spec.tag))].map((name) => ({ name })),
    paths,
    components: { schemas: componentSchemas() },
  };
  return cached;
}

function componentSchemas(): Record<string, JsonObject> {
  const { schemas } = z.toJSONSchema(apiSchemas, { uri: (id) => `${COMPONENT_PREFIX}${id}`, io: 'input' });
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
  return { $ref: `${COMPONENT_PREFIX}${id}` };
}

function operation(spec: RouteSpec): JsonObject {
  const parameters = [...pathParameters(spec.path), ...queryParameters(spec)];
  const op: JsonObject = { operationId: spec.operationId, summary: spec.summary, tags: [spec.tag] };
  if (parameters.length > 0) op['parameters'] = parameters;
  if (spec.request) {
    op['requestBody'] = { required: true, content: { 'application/json': { schema: refTo(spec.request) } } };
  }
  op['responses'] = responses(spec);
  return op;
}

function pathParameters(path: string): JsonObject[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string', pattern: NAME_PATTERN },
  }));
}

function queryParameters(spec: RouteSpec): JsonObject[] {
  if (!spec.query) return [];
  const schema = z.toJSONSchema(spec.query, { io: 'input' }) as JsonObject;
  const properties = (schema['properties'] ?? {}) as Record<string, JsonObject>;
  const required = new Set((schema['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, { description, ...rest }]) => ({
    name,
    in: 'query',
    required: required.has(name),
    ...(description === undefined ? {} : { description }),
    schema: rest,
  }));
}

function responses(spec: RouteSpec): JsonObject {
  const out: JsonObject = spec.response
    ? { '200': { description: 'OK', content: { 'application/json': { schema: refTo(spec.response) } } } }
    : { '204': { description: 'Done; no content.' } };
  const codes: ErrorCode[] = [...spec.errors, 'INTERNAL', 'STORE_THROTTLED', 'STORE_UNAVAILABLE'];
  if (spec.request || spec.query || spec.path.includes('{')) codes.push('INVALID_REQUEST');
  // Values of the right type outside their range (see request-parsing.ts).
  if (spec.request || spec.query) codes.push('INVALID_ARGUMENT');
  if (spec.request) codes.push('UNSUPPORTED_MEDIA_TYPE', 'REQUEST_TOO_LARGE');
  const byStatus = new Map<number, Set<ErrorCode>>();
  for (const code of codes) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  }
  for (const [status, set] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: `Error codes: ${[...set].join(', ')}.`,
      content: { 'application/json': { schema: { $ref: `${COMPONENT_PREFIX}Error` } } },
    };
  }
  return out;
}
