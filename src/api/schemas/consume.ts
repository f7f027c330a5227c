import { z } from 'zod';
import { ERROR_CODES } from '../../core/errors.ts';
import { LIMITS } from '../../core/limits.ts';
import { BodyEncodingSchema, ClientIdSchema } from './common.ts';
import { named } from './registry.ts';

export const ReceiveRequestSchema = named(
  'ReceiveRequest',
  z.strictObject({
    maxMessages: z
      .int()
      .min(1)
      .max(LIMITS.maxReceiveMessages)
      .optional()
      .describe(`Receive at most this many messages (1-${LIMITS.maxReceiveMessages}), default 1.`),
    invisibleDurationMs: z
      .int()
      .min(LIMITS.minInvisibleMs)
      .max(LIMITS.maxInvisibleMs)
      .optional()
      .describe(
        `How long the messages stay hidden from other consumers, ${LIMITS.minInvisibleMs}-${LIMITS.maxInvisibleMs} ms, default ${LIMITS.defaultInvisibleMs}.`,
      ),
    waitMs: z
      .int()
      .min(0)
      .max(LIMITS.maxWaitMs)
      .optional()
      .describe(
        `Long-poll: wait up to this long (0-${LIMITS.maxWaitMs} ms) for a message when none is ready. Default 0.`,
      ),
    clientId: ClientIdSchema.optional(),
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
    messageGroup: z.string().optional().describe('FIFO topics: the message group the message was sent with.'),
    deliveryAttempt: z.int().describe('1 on first delivery.'),
    receiptHandle: z.string().describe('Settles this delivery (ack, nack, change-invisible-duration).'),
    invisibleUntil: z.int().describe('Epoch milliseconds until which no other consumer gets this message.'),
  }),
);

export const ReceiveResponseSchema = named('ReceiveResponse', z.object({ messages: z.array(ReceivedMessageSchema) }));

const MAX_RECEIPT_HANDLES = 100;

const receiptHandles = z
  .array(z.string())
  .min(1)
  .max(MAX_RECEIPT_HANDLES)
  .describe(
    `1 to ${MAX_RECEIPT_HANDLES} receipt handles (otherwise INVALID_ARGUMENT). A handle that is malformed or no longer current is reported in its own result, not refused.`,
  );

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
    code: z
      .enum(ERROR_CODES)
      .optional()
      .describe('Why the handle was not settled: INVALID_RECEIPT_HANDLE or RECEIPT_HANDLE_EXPIRED.'),
    message: z.string().optional(),
  }),
);

export const SettleResponseSchema = named('SettleResponse', z.object({ results: z.array(SettleResultSchema) }));

export const ChangeInvisibleDurationRequestSchema = named(
  'ChangeInvisibleDurationRequest',
  z.strictObject({
    receiptHandle: z
      .string()
      .describe(
        'A receipt handle of a current delivery: malformed INVALID_RECEIPT_HANDLE, no longer current RECEIPT_HANDLE_EXPIRED (409).',
      ),
    invisibleDurationMs: z
      .int()
      .min(0)
      .max(LIMITS.maxInvisibleMs)
      .describe(`0 (visible again at once) to ${LIMITS.maxInvisibleMs} ms from now.`),
  }),
);

export const ChangeInvisibleDurationResponseSchema = named(
  'ChangeInvisibleDurationResponse',
  z.object({
    receiptHandle: z.string().describe('The new receipt handle; the old one stops working.'),
    invisibleUntil: z.int(),
  }),
);
