import { z } from 'zod';
import { LIMITS } from '../../core/limits.ts';
import { CONSUME_MODES, MESSAGE_TYPES } from '../../core/model.ts';
import { BodyEncodingSchema, queryInteger, TagExpressionSchema, TopicNameSchema } from './common.ts';
import { named } from './registry.ts';

const HOUR_MS = 3_600_000;
const MAX_RETENTION_HOURS = LIMITS.maxRetentionMs / HOUR_MS;
const MIN_RETENTION_HOURS = LIMITS.minRetentionMs / HOUR_MS;
/** Dead letters per listed page and per redrive call. */
const MAX_DEAD_LETTERS_PER_CALL = 1000;
const DEFAULT_DEAD_LETTER_PAGE = 100;

export const PutTopicRequestSchema = named(
  'PutTopicRequest',
  z.strictObject({
    messageType: z
      .enum(MESSAGE_TYPES)
      .optional()
      .describe(
        'Default NORMAL for a new topic. Fixed once the topic exists: omitted keeps it, another value is TOPIC_CONFLICT (409).',
      ),
    queueCount: z
      .int()
      .min(1)
      .max(LIMITS.maxQueueCount)
      .optional()
      .describe(
        `Queues (partitions), 1-${LIMITS.maxQueueCount}, default ${LIMITS.defaultQueueCount} for a new topic. Fixed once the topic exists: omitted keeps it, another value is TOPIC_CONFLICT (409).`,
      ),
    retentionHours: z
      .int()
      .min(MIN_RETENTION_HOURS)
      .max(MAX_RETENTION_HOURS)
      .optional()
      .describe(
        `How long messages are kept, ${MIN_RETENTION_HOURS}-${MAX_RETENTION_HOURS} hours, default ${MAX_RETENTION_HOURS} for a new topic. May change; omitted keeps the current retention.`,
      ),
    trace: z
      .boolean()
      .optional()
      .describe(
        'Record the lifecycle trace of every message (default true for a new topic). May change; omitted keeps it.',
      ),
  }),
);

export const TopicSchema = named(
  'Topic',
  z.object({
    name: z.string(),
    messageType: z.enum(MESSAGE_TYPES),
    queueCount: z.int(),
    retentionHours: z.number(),
    trace: z.boolean().describe('Whether the lifecycle trace of its messages is recorded.'),
    createdAt: z.int().describe('Epoch milliseconds.'),
  }),
);

export const TopicListSchema = named('TopicList', z.object({ topics: z.array(TopicSchema) }));

export const SubscriptionSchema = named(
  'Subscription',
  z.strictObject({
    topic: TopicNameSchema.describe(
      `The subscribed topic: a topic name, 1-${LIMITS.nameMaxLength} characters of A-Z, a-z, 0-9, _ and - (INVALID_TOPIC_NAME); it must exist (TOPIC_NOT_FOUND, 404).`,
    ),
    tagExpression: TagExpressionSchema.optional(),
  }),
);

export const PutGroupRequestSchema = named(
  'PutGroupRequest',
  z.strictObject({
    subscriptions: z
      .array(SubscriptionSchema)
      .max(LIMITS.maxSubscriptions)
      .describe(
        `The group's whole subscription list, at most ${LIMITS.maxSubscriptions} (INVALID_ARGUMENT), each topic once (INVALID_ARGUMENT). It replaces the current list; a newly subscribed topic starts at its end.`,
      ),
    consumeMode: z
      .enum(CONSUME_MODES)
      .optional()
      .describe(
        'Default CLUSTERING for a new group. Fixed once the group exists: omitted keeps it, another value is GROUP_CONFLICT (409).',
      ),
    maxDeliveryAttempts: z
      .int()
      .min(1)
      .max(LIMITS.maxMaxDeliveryAttempts)
      .optional()
      .describe(
        `Deliveries before a message goes to the dead-letter queue, 1-${LIMITS.maxMaxDeliveryAttempts}, default ${LIMITS.defaultMaxDeliveryAttempts} for a new group. May change; omitted keeps the current value.`,
      ),
    orderly: z
      .boolean()
      .optional()
      .describe(
        "Orderly consumption of FIFO topics: a message group's next message is handed out only after the one before it was acked or dead-lettered; other message groups keep flowing. Default false for a new group. Fixed once the group exists: omitted keeps it, another value is GROUP_CONFLICT (409).",
      ),
  }),
);

export const GroupSchema = named(
  'Group',
  z.object({
    name: z.string(),
    subscriptions: z.array(SubscriptionSchema),
    consumeMode: z.enum(CONSUME_MODES),
    maxDeliveryAttempts: z.int(),
    orderly: z.boolean().describe('Orderly consumption of FIFO topics.'),
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
  limit: queryInteger(1, MAX_DEAD_LETTERS_PER_CALL)
    .optional()
    .describe(
      `At most this many dead letters, oldest first: 1-${MAX_DEAD_LETTERS_PER_CALL} (INVALID_ARGUMENT; not an integer INVALID_REQUEST), default ${DEFAULT_DEAD_LETTER_PAGE}.`,
    ),
  after: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe('The `nextToken` of the previous page: list the dead letters after it (1-512 characters).'),
});

export const RedriveRequestSchema = named(
  'RedriveRequest',
  z.strictObject({
    msgIds: z
      .array(z.string())
      .max(MAX_DEAD_LETTERS_PER_CALL)
      .optional()
      .describe(
        `Only the dead letters of these messages (at most ${MAX_DEAD_LETTERS_PER_CALL}), wherever they are in the DLQ; default the oldest up to limit.`,
      ),
    limit: z
      .int()
      .min(1)
      .max(MAX_DEAD_LETTERS_PER_CALL)
      .optional()
      .describe(
        `At most this many dead letters are redriven, 1-${MAX_DEAD_LETTERS_PER_CALL} (default ${MAX_DEAD_LETTERS_PER_CALL}).`,
      ),
  }),
);

export const RedriveResultSchema = named(
  'RedriveResult',
  z.object({
    redriven: z.int().describe('Dead letters put back into delivery.'),
    expired: z.int().describe('Dead letters dropped because retention already removed their message.'),
  }),
);
