import { z } from 'zod';
import { queryInteger } from './common.ts';
import { named } from './registry.ts';

export const ScheduledMessageSchema = named(
  'ScheduledMessage',
  z.object({
    msgId: z.string(),
    deliverAt: z.int().describe('When the message becomes visible (epoch ms).'),
    tag: z.string().optional(),
    keys: z.array(z.string()),
    bodySize: z.int().describe('Body size in bytes.'),
  }),
);

export const ScheduledListSchema = named(
  'ScheduledList',
  z.object({
    scheduled: z.array(ScheduledMessageSchema).describe('Pending delayed messages, by due time.'),
    nextToken: z.string().optional().describe('Present when more follow: pass it as `after`.'),
  }),
);

/** Query of `GET /v1/topics/{topic}/scheduled`; query values arrive as strings. */
export const ScheduledQuerySchema = z.object({
  limit: queryInteger(1, 1000)
    .optional()
    .describe(
      'At most this many messages, earliest due first: 1-1000 (INVALID_ARGUMENT; not an integer INVALID_REQUEST), default 100.',
    ),
  after: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe(
      'The `nextToken` of the previous page: list the messages after it (1-512 characters; INVALID_ARGUMENT when it is not one).',
    ),
});

/** The `{msgId}` path parameter: any text; one that is no msgId names no message (MESSAGE_NOT_FOUND). */
export const MsgIdParameterSchema = z
  .string()
  .min(1)
  .describe('The msgId a send answered (32 hexadecimal characters); anything else finds no message.');
