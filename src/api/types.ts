/**
 * Request and response types of the HTTP API, inferred from the same zod schemas that
 * validate requests and generate /openapi.json. The SDK imports them type-only.
 */
import type { z } from 'zod';
import type {
  DeadLetterListSchema,
  DeadLetterSchema,
  GroupListSchema,
  GroupSchema,
  PutGroupRequestSchema,
  PutTopicRequestSchema,
  RedriveRequestSchema,
  RedriveResultSchema,
  SubscriptionSchema,
  TopicListSchema,
  TopicSchema,
} from './schemas/admin.ts';
import type { BodyEncodingSchema, ErrorBodySchema } from './schemas/common.ts';
import type {
  AckRequestSchema,
  ChangeInvisibleDurationRequestSchema,
  ChangeInvisibleDurationResponseSchema,
  NackRequestSchema,
  ReceivedMessageSchema,
  ReceiveRequestSchema,
  ReceiveResponseSchema,
  SettleResponseSchema,
  SettleResultSchema,
} from './schemas/consume.ts';
import type {
  SendBatchRequestSchema,
  SendBatchResultSchema,
  SendMessageRequestSchema,
  SendResultSchema,
} from './schemas/messages.ts';

import type {
  GroupStatsSchema,
  MessageInfoSchema,
  MessagePageSchema,
  MessageTraceSchema,
  ResetOffsetRequestSchema,
  ResetOffsetResultSchema,
  TopicStatsSchema,
  TraceEventSchema,
} from './schemas/query.ts';
import type { ScheduledListSchema, ScheduledMessageSchema } from './schemas/scheduled.ts';
import type {
  CommitResultSchema,
  ProducerGroupListSchema,
  ProducerGroupSchema,
  PutProducerGroupRequestSchema,
  ReceiveChecksRequestSchema,
  ReceiveChecksResponseSchema,
  TransactionCheckSchema,
} from './schemas/transactions.ts';

export type { ErrorCode } from '../core/errors.ts';
export type { ConsumeMode, MessageType } from '../core/model.ts';

export type ApiErrorBody = z.output<typeof ErrorBodySchema>;
export type BodyEncoding = z.output<typeof BodyEncodingSchema>;

export type PutTopicRequest = z.input<typeof PutTopicRequestSchema>;
export type TopicInfo = z.output<typeof TopicSchema>;
export type TopicList = z.output<typeof TopicListSchema>;
export type SubscriptionInfo = z.input<typeof SubscriptionSchema>;
export type PutGroupRequest = z.input<typeof PutGroupRequestSchema>;
export type GroupInfo = z.output<typeof GroupSchema>;
export type GroupList = z.output<typeof GroupListSchema>;
export type DeadLetterInfo = z.output<typeof DeadLetterSchema>;
export type DeadLetterList = z.output<typeof DeadLetterListSchema>;
export type RedriveRequest = z.input<typeof RedriveRequestSchema>;
export type RedriveResult = z.output<typeof RedriveResultSchema>;

export type ScheduledMessageInfo = z.output<typeof ScheduledMessageSchema>;
export type ScheduledList = z.output<typeof ScheduledListSchema>;

export type SendMessageRequest = z.input<typeof SendMessageRequestSchema>;
export type SendBatchRequest = z.input<typeof SendBatchRequestSchema>;
export type SendResultBody = z.output<typeof SendResultSchema>;
export type SendBatchResultBody = z.output<typeof SendBatchResultSchema>;

export type ReceiveRequest = z.input<typeof ReceiveRequestSchema>;
export type ReceivedMessageBody = z.output<typeof ReceivedMessageSchema>;
export type ReceiveResponse = z.output<typeof ReceiveResponseSchema>;
export type AckRequest = z.input<typeof AckRequestSchema>;
export type NackRequest = z.input<typeof NackRequestSchema>;
export type SettleResultBody = z.output<typeof SettleResultSchema>;
export type SettleResponse = z.output<typeof SettleResponseSchema>;
export type ChangeInvisibleDurationRequest = z.input<typeof ChangeInvisibleDurationRequestSchema>;
export type ChangeInvisibleDurationResponse = z.output<typeof ChangeInvisibleDurationResponseSchema>;

export type PutProducerGroupRequest = z.input<typeof PutProducerGroupRequestSchema>;
export type ProducerGroupInfo = z.output<typeof ProducerGroupSchema>;
export type ProducerGroupList = z.output<typeof ProducerGroupListSchema>;
export type CommitResultBody = z.output<typeof CommitResultSchema>;
export type ReceiveChecksRequest = z.input<typeof ReceiveChecksRequestSchema>;
export type TransactionCheckBody = z.output<typeof TransactionCheckSchema>;
export type ReceiveChecksResponse = z.output<typeof ReceiveChecksResponseSchema>;

export type MessageInfoBody = z.output<typeof MessageInfoSchema>;
export type MessagePage = z.output<typeof MessagePageSchema>;
export type TraceEventBody = z.output<typeof TraceEventSchema>;
export type MessageTrace = z.output<typeof MessageTraceSchema>;
export type ResetOffsetRequest = z.input<typeof ResetOffsetRequestSchema>;
export type ResetOffsetResult = z.output<typeof ResetOffsetResultSchema>;
export type GroupStats = z.output<typeof GroupStatsSchema>;
export type TopicStats = z.output<typeof TopicStatsSchema>;
