import { z } from 'zod';
import { LIMITS } from '../../core/limits.ts';
import { CONSUME_MODES, MESSAGE_TYPES } from '../../core/model.ts';
import { BodyEncodingSchema } from './common.ts';
import { named } from './registry.ts';

const MAX_RETENTION_HOURS = LIMITS.maxRetentionMs / 3_600_000;

export const PutTopicRequestSchema = named(
  'PutTopicRequest',
  z.strictObject({
    messageType: z.enum(MESSAGE_TYPES).optional().describe('Default NORMAL. Fixed once the topic exists.'),
    queueCount: z
      .int()
      .min(1)
      .max(LIMITS.maxQueueCount)
      .optional()
      .describe(`Queues (partitions) of the topic, default ${LIMITS.defaultQueueCount}. Fixed once the topic exists.`),
    retentionHours: z
      .int()
      .min(1)
      .max(MAX_RETENTION_HOURS)
      .optional()
      .describe(`How long messages are kept, default ${MAX_RETENTION_HOURS}.`),
  }),
);

export const TopicSchema = named(
  'Topic',
  z.object({
    name: z.string(),
    messageType: z.enum(MESSAGE_TYPES),
    queueCount: z.int(),
    retentionHours: z.number(),
    createdAt: z.int().describe('Epoch milliseconds.'),
  }),
);

export const TopicListSchema = named('TopicList', z.object({ topics: z.array(TopicSchema) }));

export const SubscriptionSchema = named(
  'Subscription',
  z.strictObject({
    topic: z.string(),
    tagExpression: z.string().optional().describe('`*` (the default), `TagA` or `TagA || TagB`.'),
  }),
);

export const PutGroupRequestSchema = named(
  'PutGroupRequest',
  z.strictObject({
    subscriptions: z.array(SubscriptionSchema).max(LIMITS.maxSubscriptions),
    consumeMode: z.enum(CONSUME_MODES).optional().describe('Default CLUSTERING. Fixed once the group exists.'),
    maxDeliveryAttempts: z
      .int()
      .min(1)
      .max(LIMITS.maxMaxDeliveryAttempts)
      .optional()
      .describe(
        `Deliveries before a message goes to the dead-letter queue, default ${LIMITS.defaultMaxDeliveryAttempts}.`,
      ),
  }),
);

export const GroupSchema = named(
  'Group',
  z.object({
    name: z.string(),
    subscriptions: z.array(z.object({ topic: z.string(), tagExpression: z.string() })),
    consumeMode: z.enum(CONSUME_MODES),
    maxDeliveryAttempts: z.int(),
    createdAt: z.int().describe('Epoch milliseconds.'),
  }),
);

export const GroupListSchema = named('GroupList', z.object({ groups: z.array(GroupSchema) }));

export const DeadLetterMessageSchema = named(
  'DeadLetterMessage',
  z.object({
    body: z.string(),
    bodyEncoding: BodyEncodingSchema,
    tag: z.string().optional(),
    keys: z.array(z.string()),
    properties: z.record(z.string(), z.string()),
    bornTimestamp: z.int(),
    storeTimestamp: z.int(),
  }),
);

export const DeadLetterSchema = named(
  'DeadLetter',
  z.object({
    group: z.string(),
    consumer: z.string().describe('The lane that gave up: the group, or `group@clientId` when broadcasting.'),
    dlq: z.string().describe('The dead-letter queue name, `%DLQ%<group>`.'),
    topic: z.string(),
    queueId: z.int(),
    queueOffset: z.int(),
    msgId: z.string(),
    deliveryAttempts: z.int(),
    deadAt: z.int().describe('Epoch milliseconds.'),
    reason: z.string(),
    message: DeadLetterMessageSchema.optional().describe('The message itself, while retention keeps it.'),
  }),
);

export const DeadLetterListSchema = named(
  'DeadLetterList',
  z.object({
    deadLetters: z.array(DeadLetterSchema),
    nextToken: z.string().optional().describe('Present when more dead letters follow: pass it as `after`.'),
  }),
);

/** Query of `GET /v1/groups/{group}/dlq`; query values arrive as strings. */
export const DeadLetterQuerySchema = z.object({
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'limit must be an integer from 1 to 1000')
    .transform(Number)
    .pipe(z.int().min(1).max(1000))
    .optional()
    .describe('At most this many dead letters, oldest first (1-1000, default 100).'),
  after: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe('The `nextToken` of the previous page: list the dead letters after it.'),
});

export const RedriveRequestSchema = named(
  'RedriveRequest',
  z.strictObject({
    msgIds: z
      .array(z.string())
      .max(1000)
      .optional()
      .describe(
        'Only the dead letters of these messages, wherever they are in the DLQ; default the oldest up to limit.',
      ),
    limit: z.int().min(1).max(1000).optional().describe('At most this many dead letters are redriven (default 1000).'),
  }),
);

export const RedriveResultSchema = named(
  'RedriveResult',
  z.object({
    redriven: z.int().describe('Dead letters put back into delivery.'),
    expired: z.int().describe('Dead letters dropped because retention already removed their message.'),
  }),
);
