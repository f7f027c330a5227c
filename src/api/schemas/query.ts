import { z } from 'zod';
import { TRACE_EVENT_TYPES } from '../../core/trace-event.ts';
import { BodyEncodingSchema, ClientIdSchema, MessageKeySchema, queryInteger, TopicNameSchema } from './common.ts';
import { named } from './registry.ts';

/** Epoch ms in a query string: 0 up to the largest safe integer. */
const epochMs = () => queryInteger(0, Number.MAX_SAFE_INTEGER);

export const MessageInfoSchema = named(
  'MessageInfo',
  z.object({
    msgId: z.string(),
    topic: z.string(),
    queueId: z.int().optional().describe('Absent while the message is held (delayed, half message).'),
    queueOffset: z.int().optional().describe('Absent while the message is held (delayed, half message).'),
    body: z.string(),
    bodyEncoding: BodyEncodingSchema.describe('utf8 when the bytes are valid UTF-8, else base64.'),
    tag: z.string().optional(),
    keys: z.array(z.string()),
    properties: z.record(z.string(), z.string()),
    bornTimestamp: z.int(),
    storeTimestamp: z.int(),
    deliverAt: z.int().optional().describe('Delayed messages: when it becomes (or became) visible, epoch ms.'),
    scheduleState: z.enum(['SCHEDULED', 'CANCELLED']).optional().describe('Delayed messages not yet in their queue.'),
    transactionState: z
      .enum(['PREPARED', 'COMMITTED', 'ROLLED_BACK'])
      .optional()
      .describe('Messages of TRANSACTION topics.'),
    messageId: z.string().optional(),
    messageGroup: z.string().optional(),
    producerGroup: z.string().optional(),
    bornHost: z.string().optional(),
  }),
);

export const MessagePageSchema = named(
  'MessagePage',
  z.object({
    messages: z.array(MessageInfoSchema),
    nextToken: z.string().optional().describe('Present when more may follow: pass it as `after`.'),
  }),
);

/** Query of `GET /v1/topics/{topic}/messages`; query values arrive as strings. */
export const MessageQuerySchema = z.object({
  key: MessageKeySchema.optional().describe('Messages carrying this key, oldest first.'),
  startTime: epochMs().optional().describe('Without key: messages stored at or after this time (epoch ms).'),
  endTime: epochMs()
    .optional()
    .describe('Without key: messages stored at or before this time (epoch ms), default now.'),
  limit: queryInteger(1, 1000)
    .optional()
    .describe('At most this many messages: 1-1000 (INVALID_ARGUMENT; not an integer INVALID_REQUEST), default 100.'),
  after: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe('The `nextToken` of the previous page (INVALID_ARGUMENT when it is not one).'),
  nextToken: z.string().min(1).max(512).optional().describe('Same as `after`.'),
});

export const TraceEventSchema = named(
  'TraceEvent',
  z.object({
    type: z.enum(TRACE_EVENT_TYPES),
    time: z.int().describe('Epoch ms.'),
    group: z.string().optional().describe('Consumer group, or the producer group of a transactional message.'),
    clientId: z.string().optional(),
    attempt: z.int().optional(),
    queueId: z.int().optional(),
    queueOffset: z.int().optional(),
    requestId: z.string().optional(),
    host: z.string().optional(),
    reason: z.string().optional(),
  }),
);

export const MessageTraceSchema = named(
  'MessageTrace',
  z.object({ msgId: z.string(), events: z.array(TraceEventSchema).describe('Oldest first.') }),
);

export const ResetOffsetRequestSchema = named(
  'ResetOffsetRequest',
  z.strictObject({
    topic: TopicNameSchema,
    timestamp: z
      .int()
      .min(0)
      .optional()
      .describe('Epoch ms: each queue goes to its first message stored at or after it. Give this or `offsets`.'),
    offsets: z
      .array(z.strictObject({ queueId: z.int().min(0), offset: z.int().min(0) }))
      .min(1)
      .max(1024)
      .optional()
      .describe('Explicit offsets per queue, clamped to what the queue stores; queues left out keep theirs.'),
    clientId: ClientIdSchema.optional().describe('Broadcasting groups: reset only this instance (default: all).'),
  }),
);

export const ResetOffsetResultSchema = named(
  'ResetOffsetResult',
  z.object({
    group: z.string(),
    topic: z.string(),
    lanes: z.int().describe('Lanes moved: 1 for a clustering group, else the broadcasting instances.'),
    offsets: z.array(z.object({ queueId: z.int(), offset: z.int() })),
  }),
);

const QueueBacklogSchema = z.object({
  queueId: z.int(),
  ready: z.int(),
  inFlight: z.int(),
  consumerOffset: z.int(),
  maxOffset: z.int(),
});

export const GroupStatsSchema = named(
  'GroupStats',
  z.object({
    group: z.string(),
    topics: z.array(
      z.object({
        topic: z.string(),
        ready: z.int(),
        inFlight: z.int(),
        oldestReadyAgeMs: z.int(),
        deadLetters: z.int(),
        queues: z.array(QueueBacklogSchema),
        clients: z
          .array(z.object({ clientId: z.string(), ready: z.int(), inFlight: z.int() }))
          .optional()
          .describe('Broadcasting groups: each instance.'),
      }),
    ),
  }),
);

export const TopicStatsSchema = named(
  'TopicStats',
  z.object({
    topic: z.string(),
    queues: z.array(z.object({ queueId: z.int(), minOffset: z.int(), maxOffset: z.int(), messageCount: z.int() })),
    scheduled: z.int().describe('Delayed messages waiting for their time.'),
    halfMessages: z.int().describe('Half messages waiting for their transaction decision.'),
  }),
);
