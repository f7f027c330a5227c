import * as z from 'zod/mini';

/** One subscription's settings, as the stack writes them (lib/lambda-subscription.ts). */
export const PushSubscriptionSchema = z.object({
  group: z.string().check(z.minLength(1)),
  clientId: z.optional(z.string().check(z.minLength(1))),
  /** Name or ARN of the function the messages go to. */
  functionName: z.string().check(z.minLength(1)),
  batchSize: z.int().check(z.minimum(1), z.maximum(32)),
  maxConcurrency: z.int().check(z.minimum(1), z.maximum(100)),
  invisibleDurationMs: z.int().check(z.minimum(10_000), z.maximum(12 * 3_600_000)),
  /** Keep long-polling until the end of the run window instead of stopping when drained. */
  continuousPolling: z.boolean(),
  /** How long one run receives new batches; the schedule starts the next run after it. */
  runWindowMs: z.int().check(z.minimum(1_000), z.maximum(14 * 60_000)),
});

/**
 * The input of the push-deliver function: one subscription, as the stack writes it into
 * the subscription's EventBridge Scheduler schedule (lib/lambda-subscription.ts) and into
 * the push-stream function's list (which adds `nudged`). Parsed with zod's tree-shakable
 * build to keep the function small.
 */
export const PushDriverEventSchema = z.object({
  subscription: PushSubscriptionSchema,
  /** Started by the messages stream (new messages on a subscribed topic) rather than by the schedule. */
  nudged: z.optional(z.boolean()),
});

/** The settings of one subscription, as the stack writes them. */
export type PushSubscriptionSettings = z.input<typeof PushSubscriptionSchema>;

export type PushDriverEvent = z.input<typeof PushDriverEventSchema>;
