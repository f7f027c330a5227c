import { z } from 'zod';
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
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'limit must be an integer from 1 to 1000')
    .transform(Number)
    .pipe(z.int().min(1).max(1000))
    .optional()
    .describe('At most this many messages, earliest due first (1-1000, default 100).'),
  after: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe('The `nextToken` of the previous page: list the messages after it.'),
});
