import { z } from 'zod';
import { PRODUCER_GROUP_BOUNDS, PRODUCER_GROUP_DEFAULTS } from '../../core/producer-group.ts';
import { BodyEncodingSchema } from './common.ts';
import { named } from './registry.ts';

const { minCheckMs, maxCheckMs, maxMaxChecks, minSecretLength, maxSecretLength } = PRODUCER_GROUP_BOUNDS;

export const CheckerRequestSchema = named(
  'CheckerRequest',
  z
    .discriminatedUnion('type', [
      z.strictObject({
        type: z.literal('webhook'),
        url: z.string().max(2048).describe('HTTPS URL (plain http only to a loopback address).'),
        secret: z
          .string()
          .min(minSecretLength)
          .max(maxSecretLength)
          .describe('Signs each check (HMAC-SHA256). Stored, never returned.'),
      }),
      z.strictObject({
        type: z.literal('lambda'),
        functionArn: z.string().max(256).describe('Function name or ARN, invoked synchronously.'),
      }),
      z.strictObject({ type: z.literal('poll') }),
    ])
    .describe('Who answers check-backs: a signed webhook, a Lambda function, or producers polling for checks.'),
);

export const PutProducerGroupRequestSchema = named(
  'PutProducerGroupRequest',
  z.strictObject({
    checker: CheckerRequestSchema,
    firstCheckAfterMs: z
      .int()
      .min(minCheckMs)
      .max(maxCheckMs)
      .optional()
      .describe(
        `No decision this long after the half message: first check-back. Default ${PRODUCER_GROUP_DEFAULTS.firstCheckAfterMs}.`,
      ),
    checkIntervalMs: z
      .int()
      .min(minCheckMs)
      .max(maxCheckMs)
      .optional()
      .describe(`Then one check-back every this long. Default ${PRODUCER_GROUP_DEFAULTS.checkIntervalMs}.`),
    maxChecks: z
      .int()
      .min(1)
      .max(maxMaxChecks)
      .optional()
      .describe(
        `Check-backs before an undecided transaction is rolled back. Default ${PRODUCER_GROUP_DEFAULTS.maxChecks}.`,
      ),
  }),
);

export const CheckerSchema = named(
  'Checker',
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('webhook'), url: z.string(), secretSet: z.literal(true) }),
    z.object({ type: z.literal('lambda'), functionArn: z.string() }),
    z.object({ type: z.literal('poll') }),
  ]),
);

export const ProducerGroupSchema = named(
  'ProducerGroup',
  z.object({
    name: z.string(),
    checker: CheckerSchema,
    firstCheckAfterMs: z.int(),
    checkIntervalMs: z.int(),
    maxChecks: z.int(),
    createdAt: z.int().describe('Epoch milliseconds.'),
  }),
);

export const ProducerGroupListSchema = named(
  'ProducerGroupList',
  z.object({ producerGroups: z.array(ProducerGroupSchema) }),
);

export const CommitResultSchema = named(
  'CommitResult',
  z.object({
    msgId: z.string(),
    topic: z.string(),
    queueId: z.int(),
    queueOffset: z.int().describe('Assigned at the (first) commit.'),
  }),
);

export const ReceiveChecksRequestSchema = named(
  'ReceiveChecksRequest',
  z.strictObject({
    maxMessages: z.int().min(1).max(32).optional().describe('Default 10.'),
    waitMs: z
      .int()
      .min(0)
      .max(20_000)
      .optional()
      .describe('Long-poll: wait up to this long for a check when none is due. Default 0.'),
    topics: z
      .array(z.string())
      .min(1)
      .max(32)
      .optional()
      .describe(
        'Only checks of these topics. With access keys the caller needs PUB on each (a check carries the body); without `topics`, PUB on `topic:*`.',
      ),
  }),
);

export const TransactionCheckSchema = named(
  'TransactionCheck',
  z.object({
    transactionId: z.string(),
    msgId: z.string(),
    topic: z.string(),
    producerGroup: z.string(),
    checkAttempt: z.int().describe('1 for the first check-back.'),
    body: z.string(),
    bodyEncoding: BodyEncodingSchema,
    tag: z.string().optional(),
    keys: z.array(z.string()),
    properties: z.record(z.string(), z.string()),
  }),
);

export const ReceiveChecksResponseSchema = named(
  'ReceiveChecksResponse',
  z.object({
    checks: z
      .array(TransactionCheckSchema)
      .describe('Each is leased to this caller until the next check time; answer by commit or rollback.'),
  }),
);

/** The `{transactionId}` path parameter: the id a half-message send answered. */
export const TransactionIdParameterSchema = z
  .string()
  .min(1)
  .describe('The transactionId a half-message send answered; anything else is INVALID_TRANSACTION_ID.');
