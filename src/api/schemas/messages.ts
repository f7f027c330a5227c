import { z } from 'zod';
import { hasReservedProperty, LIMITS, reservedProperty } from '../../core/limits.ts';
import { validate } from '../request-parsing.ts';
import { BodyEncodingSchema } from './common.ts';
import { named } from './registry.ts';

/**
 * One message to send. Size and content limits (body, properties, tag, keys) are checked
 * by the broker so each violation gets its own error code; the schema checks shapes.
 */
export const SendMessageRequestSchema = named(
  'SendMessageRequest',
  z.strictObject({
    body: z.string().describe(`The body: text, or base64 when bodyEncoding is base64. 1 byte to 4 MiB.`),
    bodyEncoding: BodyEncodingSchema.optional().describe('Default utf8.'),
    tag: z.string().optional().describe('One tag, for server-side filtering.'),
    keys: z.array(z.string()).optional().describe('Business keys to look the message up by.'),
    properties: z
      .record(z.string(), z.string())
      .optional()
      .describe(`At most ${LIMITS.maxProperties} properties; properties, keys and tag at most 16 KiB together.`),
    messageId: z.string().optional().describe('Idempotency key: a repeat within retention returns the first result.'),
    messageGroup: z.string().optional().describe('Sharding key of ordered (FIFO) topics.'),
    deliverAt: z.int().optional().describe('Delayed topics: epoch milliseconds of delivery.'),
    delayMs: z.int().optional().describe('Delayed topics: delay from now in milliseconds.'),
  }),
);

export const SendBatchRequestSchema = named(
  'SendBatchRequest',
  z.strictObject({
    messages: z
      .array(SendMessageRequestSchema)
      .describe(`1 to ${LIMITS.maxBatchMessages} messages, stored together or not at all.`),
  }),
);

export const SendRequestSchema = named('SendRequest', z.union([SendMessageRequestSchema, SendBatchRequestSchema]));

type Props = { properties?: unknown };

/**
 * Parses a send body by its shape: `{ messages }` is a batch, anything else one message.
 * A mistake then reports its own field instead of "no union member matched".
 */
export function parseSendRequest(value: unknown): z.output<typeof SendRequestSchema> {
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
  z.object({
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
    duplicate: z.boolean().describe('True when an earlier send with the same messageId was returned.'),
  }),
);

export const SendBatchResultSchema = named('SendBatchResult', z.object({ results: z.array(SendResultSchema) }));

export const SendResponseSchema = named('SendResponse', z.union([SendResultSchema, SendBatchResultSchema]));
