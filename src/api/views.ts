import type { DeadLetterView } from '../core/dead-letters.ts';
import type { Group, ReceivedMessage, SendResult, StoredMessage, Topic } from '../core/model.ts';
import { encodeBody } from './body-codec.ts';
import type { DeadLetterInfo, GroupInfo, ReceivedMessageBody, SendResultBody, TopicInfo } from './types.ts';

/** Domain records to response bodies: the one place that decides what a client sees. */
export function topicView(topic: Topic): TopicInfo {
  return {
    name: topic.name,
    messageType: topic.messageType,
    queueCount: topic.queueCount,
    retentionHours: topic.retentionMs / 3_600_000,
    trace: topic.trace !== false,
    createdAt: topic.createdAt,
  };
}

export function groupView(group: Group): GroupInfo {
  return {
    name: group.name,
    subscriptions: group.subscriptions.map((sub) => ({ topic: sub.topic, tagExpression: sub.tagExpression })),
    consumeMode: group.consumeMode,
    maxDeliveryAttempts: group.maxDeliveryAttempts,
    orderly: group.orderly ?? false,
    createdAt: group.createdAt,
  };
}

export function sendResultView(result: SendResult): SendResultBody {
  return {
    msgId: result.msgId,
    topic: result.topic,
    ...(result.queueId === undefined ? {} : { queueId: result.queueId }),
    ...(result.queueOffset === undefined ? {} : { queueOffset: result.queueOffset }),
    ...(result.deliverAt === undefined ? {} : { deliverAt: result.deliverAt }),
    ...(result.transactionId === undefined ? {} : { transactionId: result.transactionId }),
    duplicate: result.duplicate,
  };
}

function contentView(message: StoredMessage) {
  return {
    ...encodeBody(message.body),
    ...(message.tag === undefined ? {} : { tag: message.tag }),
    keys: message.keys,
    properties: message.properties,
    bornTimestamp: message.bornTimestamp,
    storeTimestamp: message.storeTimestamp,
    ...(message.deliverAt === undefined ? {} : { deliverAt: message.deliverAt }),
    ...(message.messageGroup === undefined ? {} : { messageGroup: message.messageGroup }),
  };
}

export function receivedMessageView(message: ReceivedMessage): ReceivedMessageBody {
  return {
    msgId: message.msgId,
    topic: message.topic,
    queueId: message.queueId,
    queueOffset: message.queueOffset,
    ...contentView(message),
    deliveryAttempt: message.deliveryAttempt,
    receiptHandle: message.receiptHandle,
    invisibleUntil: message.invisibleUntil,
  };
}

export function deadLetterView(letter: DeadLetterView): DeadLetterInfo {
  return {
    group: letter.group,
    consumer: letter.consumer,
    dlq: letter.dlq,
    topic: letter.topic,
    queueId: letter.queueId,
    queueOffset: letter.queueOffset,
    msgId: letter.msgId,
    deliveryAttempts: letter.deliveryAttempts,
    deadAt: letter.deadAt,
    reason: letter.reason,
    ...(letter.message === undefined ? {} : { message: contentView(letter.message) }),
  };
}
