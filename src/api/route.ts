import type { z } from 'zod';
import type { ErrorCode } from '../core/errors.ts';
import type { ApiRequest } from './http.ts';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** The areas of the API, each with the description the OpenAPI document gives it. */
export const API_TAGS = {
  topics: 'Create, describe, list and delete topics.',
  groups: 'Create, describe, list and delete consumer groups and their subscriptions.',
  messages: 'Send messages to a topic.',
  consume: 'Receive messages and settle them: ack, nack, change the invisible duration.',
  'dead-letters': "List a group's dead letters and redrive them.",
  scheduled: "List a DELAY topic's pending delayed messages and cancel them.",
  query: 'Find messages by msgId, key or store time, and trace their lifecycle.',
  transactions:
    'Producer groups of transactional messages, their check-backs, and commit or rollback of half messages.',
  meta: 'The health check and this document.',
} as const;

export type ApiTag = keyof typeof API_TAGS;

/**
 * The contract of one route: what it accepts and answers. Specs are static data, so the
 * OpenAPI document is generated from them without a broker, and the router validates
 * requests with the very same schemas.
 */
export interface RouteSpec {
  /** Unique across the API and says what the call does (`receiveMessages`, not `receive`): generators name methods after it. */
  operationId: string;
  method: HttpMethod;
  /** Path template with `{name}` parameters, e.g. `/v1/topics/{topic}`. */
  path: string;
  /** One line. */
  summary: string;
  /** What a caller needs to know beyond the summary: semantics, idempotency, what is kept or replaced. */
  description?: string;
  tag: ApiTag;
  /**
   * Schemas of path parameters other than the shared `{topic}` and `{group}` (src/api/schemas/common.ts);
   * their descriptions document the parameters.
   */
  params?: Readonly<Record<string, z.ZodType>>;
  /** Answers without credentials (the health check). */
  public?: boolean;
  /**
   * JSON body schema; routes without one ignore any body. An absent or empty body reads as `{}`,
   * so a body whose fields are all optional may be left out (the document says so).
   */
  request?: z.ZodType;
  /** Validates the body instead of `request` where a plain parse would report errors poorly. */
  parseBody?: (value: unknown) => unknown;
  query?: z.ZodType;
  /** Response body schema; routes without one answer 204 No Content. */
  response?: z.ZodType;
  /**
   * The error codes this route answers besides the generic ones (validation, internal, store)
   * and those its request schema's fields declare with `refusedAs`.
   */
  errors: readonly ErrorCode[];
}

/** Keeps a spec's literal schema types so implementations are typed by them. */
export function defineRoute<const S extends RouteSpec>(spec: S): S {
  return spec;
}

type Output<T> = T extends z.ZodType ? z.output<T> : undefined;
type Reply<T> = T extends z.ZodType ? Promise<z.input<T>> : Promise<void>;

export interface RouteContext<S extends RouteSpec> {
  /** Path parameters, percent-decoded. */
  params: Record<string, string>;
  body: Output<S['request']>;
  query: Output<S['query']>;
  request: ApiRequest;
}

/** A spec with its implementation, ready for the router. */
export interface BoundRoute {
  spec: RouteSpec;
  run(context: RouteContext<RouteSpec>): Promise<unknown>;
}

/**
 * Binds an implementation to a spec; the implementation gets the validated body and
 * query, and returns the response body (or nothing for 204 routes).
 * @example
 * implement(ROUTES.getTopic, async ({ params }) => topicView(await broker.catalog.getTopic(params.topic!)));
 */
export function implement<S extends RouteSpec>(
  spec: S,
  run: (context: RouteContext<S>) => Reply<S['response']>,
): BoundRoute {
  return { spec, run: run as unknown as BoundRoute['run'] };
}

/** A path parameter the router guarantees for the route's template. */
export function param(context: { params: Record<string, string> }, name: string): string {
  const value = context.params[name];
  if (value === undefined) throw new Error(`route template has no {${name}} parameter`);
  return value;
}
