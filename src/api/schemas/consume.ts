import { z } from 'zod';
import { ERROR_CODES } from '../../core/errors.ts';
import { LIMITS } from '../../core/limits.ts';
import { BodyEncodingSchema } from './common.ts';
import { named } from './registry.ts';

export const ReceiveRequestSchema = named(
  'ReceiveRequest',
  z.strictObject({
    maxMessages: z.int().min(1).max(LIMITS.maxReceiveMessages).optional().describe('Default 1.'),
    invisibleDurationMs: z
      .int()
      .min(LIMITS.minInvisibleMs)
      .max(LIMITS.maxInvisibleMs)
      .optional()
      .describe(`How long the messages stay hidden from other consumers, default ${LIMITS.defaultInvisibleMs}.`),
    waitMs: z
      .int()
      .min(0)
      .max(LIMITS.maxWaitMs)
      .optional()
      .describe('Long-poll: wait up to this long for a message when none is ready. Default 0.'),
    clientId: z.string().optional().describe('Consumer instance id; required for broadcasting groups.'),
  }),
);

export const ReceivedMessageSchema = named(
  'ReceivedMessage',
  z.object({
    msgId: z.string(),
    topic: z.string(),
    queueId: z.int(),
    queueOffset: z.int(),
    body: z.string(),
    bodyEncoding: BodyEncodingSchema.describe('utf8 when the bytes are valid UTF-8, else base64.'),
    tag: z.string().optional(),
    keys: z.array(z.string()),
    properties: z.record(z.string(), z.string()),
    bornTimestamp: z.int(),
    storeTimestamp: z.int(),
    deliverAt: z.int().optional().describe('Delayed messages: when it was due to become visible (epoch ms).'),
    deliveryAttempt: z.int().describe('1 on first delivery.'),
    receiptHandle: z.string().describe('Settles this delivery (ack, nack, change-invisible-duration).'),
    invisibleUntil: z.int().describe('Epoch milliseconds until which no other consumer gets this message.'),
  }),
);

export const ReceiveResponseSchema = named('ReceiveResponse', z.object({ messages: z.array(ReceivedMessageSchema) }));

const receiptHandles = z.array(z.string()).min(1).max(100).describe('1 to 100 receipt handles.');

export const AckRequestSchema = named('AckRequest', z.strictObject({ receiptHandles }));

export const NackRequestSchema = named(
  'NackRequest',
  z.strictObject({
    receiptHandles,
    delayMs: z
      .int()
      .min(0)
      .max(LIMITS.maxNackDelayMs)
      .optional()
      .describe('Redeliver after this long; default the retry backoff (10s, 30s, 1m, ...).'),
  }),
);

export const SettleResultSchema = named(
  'SettleResult',
  z.object({
    receiptHandle: z.string(),
    ok: z.boolean(),
    code: z.enum(ERROR_CODES).optional(),
    message: z.string().optional(),
  }),
);

export const SettleResponseSchema = named('SettleResponse', z.object({ results: z.array(SettleResultSchema) }));

export const ChangeInvisibleDurationRequestSchema = named(
  'ChangeInvisibleDurationRequest',
  z.strictObject({
    receiptHandle: z.string(),
    invisibleDurationMs: z.int().min(0).max(LIMITS.maxInvisibleMs),
  }),
);

export const ChangeInvisibleDurationResponseSchema = named(
  'ChangeInvisibleDurationResponse',
  z.object({
    receiptHandle: z.string().describe('The new receipt handle; the old one stops working.'),
    invisibleUntil: z.int(),
  }),
);
