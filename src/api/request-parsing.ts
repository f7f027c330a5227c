import type { z } from 'zod';
import { type ErrorCode, NimbusError } from '../core/errors.ts';
import { utf8Length } from '../core/limits.ts';
import { type ApiRequest, MAX_REQUEST_BYTES } from './http.ts';
import { fieldErrorCode } from './schemas/registry.ts';

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
const RANGE_ISSUES: ReadonlySet<string> = new Set(['too_small', 'too_big']);
/** Issue codes of a value of the right type that breaks a constraint a field may give its own code. */
const CONSTRAINT_ISSUES: ReadonlySet<string> = new Set(['too_small', 'too_big', 'invalid_format', 'custom']);

/**
 * Validates with a schema; the first few issues become one message. A fault of a field marked
 * with `refusedAs` (a tag's pattern, a batch's size) answers that field's code, as the broker
 * does for the same mistake; other values of the right type out of range (a count of 0, a
 * wait over 20 s) answer INVALID_ARGUMENT; anything else (wrong types, unknown fields, bad
 * JSON shape) is INVALID_REQUEST, which wins when a request has several kinds of fault.
 */
export function validate<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query'): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const codes = result.error.issues.map((issue) => codeOf(schema, issue));
  const code = codes.includes('INVALID_REQUEST') ? 'INVALID_REQUEST' : (codes[0] ?? 'INVALID_REQUEST');
  const issues = result.error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path === '' ? where : `${where}.${path}`}: ${issue.message}`;
  });
  const more = result.error.issues.length > 3 ? ` (and ${result.error.issues.length - 3} more)` : '';
  throw new NimbusError(code, `Invalid request ${where}. ${issues.join('; ')}${more}`);
}

type Issue = z.core.$ZodIssue;

function codeOf(root: z.ZodType, issue: Issue): ErrorCode {
  // A record key that breaks its schema: the key's own issue says what was wrong with it.
  const inner = issue.code === 'invalid_key' ? issue.issues[0] : issue;
  if (!inner || !CONSTRAINT_ISSUES.has(inner.code)) return 'INVALID_REQUEST';
  const field = schemaAt(root, issue.path, issue.code === 'invalid_key');
  const code = field && fieldErrorCode(field, inner.code);
  if (code) return code;
  return RANGE_ISSUES.has(inner.code) ? 'INVALID_ARGUMENT' : 'INVALID_REQUEST';
}

interface WalkDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

const WRAPPERS: ReadonlySet<string> = new Set(['optional', 'default', 'nullable', 'readonly', 'prefault']);

/** The schema of the value at `path`, through objects, arrays, records and wrappers. */
function schemaAt(root: z.ZodType, path: readonly PropertyKey[], isKey: boolean): z.ZodType | undefined {
  let schema: z.ZodType | undefined = unwrap(root);
  for (const [index, segment] of path.entries()) {
    if (!schema) return undefined;
    const def = schema.def as unknown as WalkDef;
    const last = index === path.length - 1;
    if (def.type === 'object') schema = def.shape?.[String(segment)];
    else if (def.type === 'array') schema = def.element;
    else if (def.type === 'record') schema = last && isKey ? def.keyType : def.valueType;
    else return undefined;
    schema = schema && unwrap(schema);
  }
  return schema;
}

/** Looks through optional/default wrappers; pipes (query integers) are judged by their input. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current.def as unknown as WalkDef;
    const next = WRAPPERS.has(def.type) ? def.innerType : undefined;
    if (!next) return current;
    current = next;
  }
}
