import type { z } from 'zod';
import { NimbusError } from '../core/errors.ts';
import { utf8Length } from '../core/limits.ts';
import { type ApiRequest, MAX_REQUEST_BYTES } from './http.ts';

const JSON_MEDIA_TYPE = /^\s*application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** Refuses requests over the size limit before anything looks at their content. */
export function assertRequestSize(body: string | undefined): void {
  // Every UTF-16 unit is at most 3 UTF-8 bytes: only long bodies need counting.
  if (body === undefined || body.length * 3 <= MAX_REQUEST_BYTES) return;
  if (body.length > MAX_REQUEST_BYTES || utf8Length(body) > MAX_REQUEST_BYTES) {
    throw new NimbusError('REQUEST_TOO_LARGE', `A request is at most ${MAX_REQUEST_BYTES} bytes.`);
  }
}

/**
 * The JSON body of a POST or PUT. An absent or empty body reads as `{}` so that requests
 * whose fields are all optional need none; a non-empty body must be declared JSON.
 */
export function readJsonBody(request: ApiRequest): unknown {
  const text = request.body;
  if (text === undefined || text.trim() === '') return {};
  const contentType = request.headers['content-type'];
  if (contentType === undefined || !JSON_MEDIA_TYPE.test(contentType)) {
    throw new NimbusError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Request bodies are JSON: send content-type application/json (got ${contentType ?? 'none'}).`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unparseable';
    throw new NimbusError('INVALID_REQUEST', `The request body is not valid JSON: ${reason}`);
  }
}

/** Issue codes of a value of the right type outside its range: the core's INVALID_ARGUMENT. */
const RANGE_ISSUES: ReadonlySet<string> = new Set(['too_big', 'too_small']);

/**
 * Validates with a schema; the first few issues become one message. A request whose only
 * faults are values out of range (a count of 0, a wait over 20 s, 101 receipt handles)
 * answers INVALID_ARGUMENT like the broker does for the same mistake; anything else
 * (wrong types, unknown fields, bad JSON shape) is INVALID_REQUEST.
 */
export function validate<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query'): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const code = result.error.issues.every((issue) => RANGE_ISSUES.has(issue.code))
    ? 'INVALID_ARGUMENT'
    : 'INVALID_REQUEST';
  const issues = result.error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path === '' ? where : `${where}.${path}`}: ${issue.message}`;
  });
  const more = result.error.issues.length > 3 ? ` (and ${result.error.issues.length - 3} more)` : '';
  throw new NimbusError(code, `Invalid request ${where}. ${issues.join('; ')}${more}`);
}
