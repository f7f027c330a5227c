import { z } from 'zod';
import { ERROR_CODES } from '../../core/errors.ts';
import { LIMITS } from '../../core/limits.ts';
import { named, refusedAs } from './registry.ts';

export const ErrorBodySchema = named(
  'Error',
  z.object({
    code: z.enum(ERROR_CODES).describe('Stable machine-readable error code.'),
    message: z.string().describe('What went wrong, for humans.'),
    requestId: z.string().describe('Identifies the request in the server log; also the `x-request-id` header.'),
  }),
);

/** How a body travels in JSON: as text when it is UTF-8, otherwise base64. */
export const BodyEncodingSchema = named(
  'BodyEncoding',
  z.enum(['utf8', 'base64']).describe('`utf8`: the body is the string itself; `base64`: standard base64 of the bytes.'),
);

export const HealthSchema = named('Health', z.object({ status: z.literal('ok') }));

export const OpenApiDocumentSchema = named(
  'OpenApiDocument',
  z.object({ openapi: z.string() }).loose().describe('This document.'),
);

/*
 * Field rules shared by several requests. Each pattern is built from LIMITS (src/core/limits.ts)
 * and states in JSON Schema what the broker enforces; `refusedAs` keeps the broker's error code.
 * Lengths are counted in code points on both sides (JSON Schema's `maxLength`, and the broker's
 * `withinCodePoints`); lone surrogates are refused by the patterns as by the broker.
 */

const NAME_PATTERN = new RegExp(`^[A-Za-z0-9_-]{1,${LIMITS.nameMaxLength}}$`);
const NAME_RULE = `1-${LIMITS.nameMaxLength} characters of A-Z, a-z, 0-9, _ and - (% is reserved for system names).`;

export const TopicNameSchema = refusedAs(
  'INVALID_TOPIC_NAME',
  z.string().regex(NAME_PATTERN).meta({ minLength: 1, maxLength: LIMITS.nameMaxLength }),
).describe(`A topic name: ${NAME_RULE} Otherwise INVALID_TOPIC_NAME.`);

export const GroupNameSchema = refusedAs(
  'INVALID_GROUP_NAME',
  z.string().regex(NAME_PATTERN).meta({ minLength: 1, maxLength: LIMITS.nameMaxLength }),
).describe(`A consumer group name: ${NAME_RULE} Otherwise INVALID_GROUP_NAME.`);

/** One character a tag may hold: `isValidTag` of src/core/limits.ts, as a regular-expression class. */
const TAG_CHARACTER = String.raw`[^\s|*\u0000-\u001f\u007f\uD800-\uDFFF]`;
const TAG = `${TAG_CHARACTER}{1,${LIMITS.maxTagLength}}`;

export const TagSchema = refusedAs(
  'INVALID_TAG',
  z
    .string()
    .regex(new RegExp(`^${TAG}$`, 'u'))
    .meta({ minLength: 1, maxLength: LIMITS.maxTagLength }),
).describe(
  `One tag, for server-side filtering: 1-${LIMITS.maxTagLength} characters without whitespace, control characters, "|" or "*", and valid Unicode (no lone surrogates). Otherwise INVALID_TAG.`,
);

const SEPARATOR = String.raw`\s*\|\|\s*`;

export const TagExpressionSchema = refusedAs(
  'INVALID_TAG_EXPRESSION',
  z
    .string()
    .max(LIMITS.maxTagExpressionLength)
    .regex(new RegExp(String.raw`^\s*(?:\*|${TAG}(?:${SEPARATOR}${TAG})*)?\s*$`, 'u')),
).describe(
  `\`*\` (all messages, also untagged ones; the default), \`TagA\` or \`TagA || TagB\`: tags as in a message's \`tag\`, at most ${LIMITS.maxTagExpressionLength} characters in all. Otherwise INVALID_TAG_EXPRESSION.`,
);

export const MessageKeySchema = refusedAs(
  'INVALID_KEY',
  z
    .string()
    .min(1)
    .max(LIMITS.maxKeyLength)
    .regex(/^[^\s\uD800-\uDFFF]+$/u),
).describe(`1-${LIMITS.maxKeyLength} characters without whitespace, valid Unicode. Otherwise INVALID_KEY.`);

export const MessageIdSchema = refusedAs(
  'INVALID_MESSAGE_ID',
  z
    .string()
    .min(1)
    .max(LIMITS.maxMessageIdLength)
    .regex(/^[^%\uD800-\uDFFF][^\uD800-\uDFFF]*$/u),
).describe(
  `Idempotency key: a repeat within retention returns the first result. 1-${LIMITS.maxMessageIdLength} characters of valid Unicode, not starting with "%" (reserved); otherwise INVALID_MESSAGE_ID.`,
);

export const ClientIdSchema = refusedAs(
  'INVALID_CLIENT_ID',
  z
    .string()
    .regex(new RegExp(`^[A-Za-z0-9_.:@-]{1,${LIMITS.maxClientIdLength}}$`))
    .meta({ minLength: 1, maxLength: LIMITS.maxClientIdLength }),
).describe(
  `Consumer instance id, required for broadcasting groups: 1-${LIMITS.maxClientIdLength} characters of A-Z, a-z, 0-9 and _ . : @ -. Otherwise INVALID_CLIENT_ID.`,
);

/** Marks an integer query parameter; the document states it as `type: integer` with its range. */
export const QUERY_INTEGER_KEY = 'x-query-integer';

/**
 * A query parameter holding an integer from `minimum` to `maximum`. Query values arrive as
 * text: digits outside the range are INVALID_ARGUMENT, anything but digits INVALID_REQUEST.
 * @example
 * const limit = queryInteger(1, 1000).optional();
 */
export function queryInteger(minimum: number, maximum: number) {
  return z
    .string()
    .regex(/^\d+$/, `must be an integer from ${minimum} to ${maximum}`)
    .transform(Number)
    .pipe(z.int().min(minimum).max(maximum))
    .meta({ [QUERY_INTEGER_KEY]: { minimum, maximum } });
}

/** Schemas of the path parameters shared by many routes, by their name in path templates. */
export const PATH_PARAMETERS: Readonly<Record<string, z.ZodType>> = {
  topic: TopicNameSchema,
  group: GroupNameSchema,
};
