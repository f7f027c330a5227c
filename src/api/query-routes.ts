import { defineRoute, type RouteSpec } from './route.ts';
import {
  GroupStatsSchema,
  MessageInfoSchema,
  MessagePageSchema,
  MessageQuerySchema,
  MessageTraceSchema,
  ResetOffsetRequestSchema,
  ResetOffsetResultSchema,
  TopicStatsSchema,
} from './schemas/query.ts';
import { MsgIdParameterSchema } from './schemas/scheduled.ts';

/** Message query, trace, offset reset and stats: part of ROUTES (routes.ts). */
export const QUERY_ROUTES = {
  getMessage: defineRoute({
    operationId: 'getMessage',
    method: 'GET',
    path: '/v1/messages/{msgId}',
    summary: 'Find a message by its msgId.',
    description:
      'The message with its body, wherever it is: in its queue (with its position), or still held as a delayed (`deliverAt`, `scheduleState`) or half message (`transactionState`). Unknown or expired: MESSAGE_NOT_FOUND.',
    tag: 'query',
    params: { msgId: MsgIdParameterSchema },
    response: MessageInfoSchema,
    errors: ['MESSAGE_NOT_FOUND'],
  }),
  queryMessages: defineRoute({
    operationId: 'queryMessages',
    method: 'GET',
    path: '/v1/topics/{topic}/messages',
    summary: "Find a topic's messages by key or by store time, a page at a time.",
    description:
      'With `key`: the messages carrying it, oldest first. Otherwise `startTime` (and `endTime`, default now): the messages stored in that range, queue by queue in offset order. Every match is found: `nextToken` continues until none is left.',
    tag: 'query',
    query: MessageQuerySchema,
    response: MessagePageSchema,
    errors: ['INVALID_TOPIC_NAME', 'TOPIC_NOT_FOUND', 'INVALID_ARGUMENT'],
  }),
  traceMessage: defineRoute({
    operationId: 'traceMessage',
    method: 'GET',
    path: '/v1/messages/{msgId}/trace',
    summary: "A message's lifecycle: sent, scheduled, delivered, acked, dead-lettered, ...",
    description:
      'The events of the message, oldest first. Recorded unless the topic has `trace: false`; they expire with the message. Unknown or expired: MESSAGE_NOT_FOUND.',
    tag: 'query',
    params: { msgId: MsgIdParameterSchema },
    response: MessageTraceSchema,
    errors: ['MESSAGE_NOT_FOUND'],
  }),
  resetOffset: defineRoute({
    operationId: 'resetOffset',
    method: 'POST',
    path: '/v1/groups/{group}/reset-offset',
    summary: "Move a group's progress on a topic to a time or to explicit offsets.",
    description:
      'For a clustering group, or every instance of a broadcasting group (or the one `clientId` names). Deliveries from before the reset no longer settle (RECEIPT_HANDLE_EXPIRED) and are not redelivered.',
    tag: 'groups',
    request: ResetOffsetRequestSchema,
    response: ResetOffsetResultSchema,
    errors: ['INVALID_GROUP_NAME', 'GROUP_NOT_FOUND', 'TOPIC_NOT_FOUND', 'INVALID_ARGUMENT'],
  }),
  groupStats: defineRoute({
    operationId: 'getGroupStats',
    method: 'GET',
    path: '/v1/groups/{group}/stats',
    summary: "A group's backlog: ready, in flight, oldest ready age and dead letters, per topic and queue.",
    description:
      'Topic figures are sums over its queues. `ready` counts messages past the consumer offset (messages a tag filter skips count until a receive passes them). Broadcasting groups add each instance.',
    tag: 'groups',
    response: GroupStatsSchema,
    errors: ['INVALID_GROUP_NAME', 'GROUP_NOT_FOUND'],
  }),
  topicStats: defineRoute({
    operationId: 'getTopicStats',
    method: 'GET',
    path: '/v1/topics/{topic}/stats',
    summary: 'What a topic stores: per queue the lowest and next offset, and held messages.',
    description:
      'Per queue: `minOffset` (lowest still stored), `maxOffset` (the next offset) and `messageCount`; plus delayed messages waiting for their time (`scheduled`) and half messages waiting for a decision (`halfMessages`).',
    tag: 'topics',
    response: TopicStatsSchema,
    errors: ['INVALID_TOPIC_NAME', 'TOPIC_NOT_FOUND'],
  }),
} satisfies Record<string, RouteSpec>;
