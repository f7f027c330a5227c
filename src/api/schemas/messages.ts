import { z } from 'zod';
import { MAX_MESSAGE_GROUP_LENGTH } from '../../core/fifo-send.ts';
import { hasReservedProperty, LIMITS, reservedProperty } from '../../core/limits.ts';
import { validate } from '../request-parsing.ts';
import { BodyEncodingSchema, GroupNameSchema, MessageIdSchema, MessageKeySchema, TagSchema } from './common.ts';
import { named, refusedAs } from './registry.ts';

const MiB = 1024 * 1024;
const KiB = 1024;

const PropertyNameSchema = refusedAs(
  'INVALID_PROPERTY',
  // `__proto__` is refused: JSON readers turn it into an object's prototype instead of keeping it.
  z
    .string()
    .min(1)
    .regex(/^(?!__proto__$)[^\uD800-\uDFFF]+$/u),
).describe('A non-empty name of valid Unicode other than `__proto__`; otherwise INVALID_PROPERTY.');

const PropertyValueSchema = refusedAs('INVALID_PROPERTY', z.string().regex(/^[^\uD800-\uDFFF]*$/u)).describe(
  'Any text of valid Unicode; otherwise INVALID_PROPERTY.',
);

const PropertiesSchema = refusedAs(
  'TOO_MANY_PROPERTIES',
  z
    .record(PropertyNameSchema, PropertyValueSchema)
    .refine((properties) => Object.keys(properties).length <= LIMITS.maxProperties, {
      message: `A message has at most ${LIMITS.maxProperties} properties.`,
    })
    .meta({ maxProperties: LIMITS.maxProperties }),
).describe(
  `At most ${LIMITS.maxProperties} properties (TOO_MANY_PROPERTIES) of string values in valid Unicode (INVALID_PROPERTY); properties, keys and tag together at most ${LIMITS.maxMetaBytes / KiB} KiB of UTF-8 (PROPERTIES_TOO_LARGE, 413).`,
);

/**
 * One message to send. Every limit JSON Schema can state is in the schema; the byte limits
 * (body, properties), base64 validity and the message type are checked by the broker and
 * named in the descriptions with their error codes.
 */
export const SendMessageRequestSchema = named(
  'SendMessageRequest',
  z
    .strictObject({
      body: refusedAs('EMPTY_BODY', z.string().min(1)).describe(
        `The body: text, or standard base64 of the bytes when bodyEncoding is base64 (otherwise INVALID_REQUEST). 1 byte (EMPTY_BODY) to ${LIMITS.maxBodyBytes / MiB} MiB, ${LIMITS.maxDelayedBodyBytes / KiB} KiB on DELAY and TRANSACTION topics (BODY_TOO_LARGE, 413). Text must be valid Unicode (INVALID_REQUEST).`,
      ),
      bodyEncoding: BodyEncodingSchema.optional().describe('Default utf8.'),
      tag: TagSchema.optional(),
      keys: z.array(MessageKeySchema).optional().describe('Business keys to look the message up by.'),
      properties: PropertiesSchema.optional(),
      messageId: MessageIdSchema.optional(),
      messageGroup: refusedAs(
        { too_small: 'MESSAGE_GROUP_REQUIRED', too_big: 'INVALID_ARGUMENT', invalid_format: 'INVALID_ARGUMENT' },
        z
          .string()
          .min(1)
          .max(MAX_MESSAGE_GROUP_LENGTH)
          .regex(/^[^\uD800-\uDFFF]*$/u),
      )
        .optional()
        .describe(
          `Sharding key of FIFO topics, 1-${MAX_MESSAGE_GROUP_LENGTH} characters of valid Unicode (otherwise INVALID_ARGUMENT): required there (MESSAGE_GROUP_REQUIRED); a message group's messages always go to the same queue, in send order. On other topics MESSAGE_TYPE_MISMATCH.`,
        ),
      deliverAt: z
        .int()
        .min(0)
        .optional()
        .describe(
          `DELAY topics: epoch milliseconds of delivery, at most ${LIMITS.maxDelayMs / 86_400_000} days ahead (DELAY_TOO_LONG); a past time delivers at once. Not with delayMs (INVALID_ARGUMENT); elsewhere MESSAGE_TYPE_MISMATCH.`,
        ),
      delayMs: refusedAs(
        { too_big: 'DELAY_TOO_LONG' },
        z.int().min(0).max(LIMITS.maxDelayMs, `a message can be delayed at most 40 days (${LIMITS.maxDelayMs} ms)`),
      )
        .optional()
        .describe(
          `DELAY topics: delay from now in milliseconds, 0 to ${LIMITS.maxDelayMs} (40 days; more is DELAY_TOO_LONG). Not with deliverAt (INVALID_ARGUMENT); elsewhere MESSAGE_TYPE_MISMATCH.`,
        ),
      producerGroup: GroupNameSchema.optional().describe(
        'The sending producer group; required on TRANSACTION topics (PRODUCER_GROUP_REQUIRED), where it must be registered (PRODUCER_GROUP_NOT_FOUND).',
      ),
    })
    .describe('One message; a request with `body` (and no `messages`) sends one message.'),
);

export const SendBatchRequestSchema = named(
  'SendBatchRequest',
  z
    .strictObject({
      messages: refusedAs(
        { too_big: 'BATCH_TOO_LARGE' },
        z.array(SendMessageRequestSchema).min(1).max(LIMITS.maxBatchMessages),
      ).describe(
        `1 (otherwise INVALID_ARGUMENT) to ${LIMITS.maxBatchMessages} messages (BATCH_TOO_LARGE), bodies at most ${LIMITS.maxBatchBytes / MiB} MiB together (BATCH_TOO_LARGE, 413), stored together or not at all.`,
      ),
    })
    .describe('A batch; a request with `messages` (and no `body`) sends a batch.'),
);

export const SendRequestSchema = named(
  'SendRequest',
  z
    .xor([SendMessageRequestSchema, SendBatchRequestSchema])
    .describe('One message (has `body`) or a batch (has `messages`); no request has both.'),
);

type Props = { properties?: unknown };

type SendRequest = z.output<typeof SendRequestSchema>;

/**
 * Parses a send body. The common shapes, `{ body }` and `{ messages: [{ body }, ...] }` with
 * non-empty string bodies and nothing else, pass without the schema: they are what nearly
 * every send looks like, and walking the schema costs several microseconds per message.
 * Everything else goes through the schema, which also words the errors; the two accept and
 * refuse the same bodies (test/api/send-fast-path.test.ts).
 * @example
 * parseSendRequest({ body: 'hello' }); // { body: 'hello' }, without the schema
 * parseSendRequest({ body: 'hello', tag: 'TagA' }); // { body: 'hello', tag: 'TagA' }, by the schema
 */
export function parseSendRequest(value: unknown): SendRequest {
  return plainSend(value) ?? parseSendRequestBySchema(value);
}

/** `value` itself when it is one of the plain shapes `parseSendRequest` takes without the schema. */
function plainSend(value: unknown): SendRequest | undefined {
  if (isBodyOnly(value)) return value;
  if (!hasOnlyKey(value, 'messages')) return undefined;
  const { messages } = value as { messages: unknown };
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > LIMITS.maxBatchMessages) return undefined;
  for (const message of messages) if (!isBodyOnly(message)) return undefined;
  return value as SendRequest;
}

function isBodyOnly(value: unknown): value is { body: string } {
  if (!hasOnlyKey(value, 'body')) return false;
  const { body } = value as { body: unknown };
  return typeof body === 'string' && body.length > 0;
}

/** A plain object (as JSON.parse makes them) whose one own key is `key`. */
function hasOnlyKey(value: unknown, key: string): boolean {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === key;
}

/**
 * Parses a send body with the schema, by its shape: `{ messages }` is a batch, anything else
 * one message. A mistake then reports its own field instead of "no union member matched".
 */
export function parseSendRequestBySchema(value: unknown): SendRequest {
  const isBatch = typeof value === 'object' && value !== null && 'messages' in value;
  // Checked before the schema, which would silently drop a `__proto__` key while copying.
  const messages: unknown[] = isBatch ? [(value as { messages: unknown }).messages].flat() : [value];
  for (const message of messages) {
    if (typeof message === 'object' && message !== null && hasReservedProperty((message as Props).properties)) {
      throw reservedProperty();
    }
  }
  return isBatch ? validate(SendBatchRequestSchema, value, 'body') : validate(SendMessageRequestSchema, value, 'body');
}

export const SendResultSchema = named(
  'SendResult',
  z
    .object({
      msgId: z.string(),
      topic: z.string(),
      queueId: z
        .int()
        .optional()
        .describe('The queue it was stored in; absent for delayed messages, which get it when due.'),
      queueOffset: z
        .int()
        .optional()
        .describe('Its position in the queue; absent for delayed messages until they are due.'),
      deliverAt: z.int().optional().describe('Delayed messages: when the message becomes visible (epoch ms).'),
      transactionId: z
        .string()
        .optional()
        .describe('Half messages (TRANSACTION topics): commit or roll back by this id.'),
      duplicate: z.boolean().describe('True when an earlier send with the same messageId was returned.'),
    })
    .describe('The answer to one message: has `msgId`.'),
);

export const SendBatchResultSchema = named(
  'SendBatchResult',
  z
    .object({ results: z.array(SendResultSchema).describe('One result per message, in request order.') })
    .describe('The answer to a batch: has `results`.'),
);

export const SendResponseSchema = named(
  'SendResponse',
  z
    .xor([SendResultSchema, SendBatchResultSchema])
    .describe('A SendResult (has `msgId`) for one message, a SendBatchResult (has `results`) for a batch.'),
);
