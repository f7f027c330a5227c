/** Domain types shared by the core, the storage port, the API and the SDK. */

export const MESSAGE_TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const CONSUME_MODES = ['CLUSTERING', 'BROADCASTING'] as const;
export type ConsumeMode = (typeof CONSUME_MODES)[number];

export interface Topic {
  name: string;
  messageType: MessageType;
  queueCount: number;
  retentionMs: number;
  /** Lifecycle trace of the topic's messages; absent means on. */
  trace?: boolean;
  createdAt: number;
}

export interface Subscription {
  topic: string;
  /** `*`, `TagA` or `TagA || TagB`. */
  tagExpression: string;
}

export interface Group {
  name: string;
  subscriptions: Subscription[];
  consumeMode: ConsumeMode;
  maxDeliveryAttempts: number;
  /**
   * Orderly consumption of FIFO topics: a message group's next message is handed out only
   * after the one before it was acked or dead-lettered. Absent means false.
   */
  orderly?: boolean;
  createdAt: number;
}

/** A message as the store keeps it. `queueOffset` is dense and gap-free per queue. */
export interface StoredMessage {
  msgId: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  body: Uint8Array;
  tag?: string;
  keys: string[];
  properties: Record<string, string>;
  bornTimestamp: number;
  storeTimestamp: number;
  /** Epoch ms after which the message is never delivered (retention). */
  expireAt: number;
  /** Client idempotency key: a repeat within retention returns the first result. */
  messageId?: string;
  /** Sharding key of ordered (FIFO) topics. */
  messageGroup?: string;
  /** Earliest delivery time of delayed/scheduled messages. */
  deliverAt?: number;
  /** Who sent it, for trace: producer group, client id, host. */
  producerGroup?: string;
  bornHost?: string;
}

/** What the core hands the store to append; the store assigns `queueOffset`. */
export type MessageToAppend = Omit<StoredMessage, 'queueOffset'>;

/** A message position: topic + queue + offset identifies exactly one message. */
export interface MessageRef {
  topic: string;
  queueId: number;
  queueOffset: number;
}

/**
 * What a send answers. A message appended at once has its queue position; a delayed one is
 * held and gets it when it becomes visible, so it answers its `deliverAt` instead.
 */
export interface SendResult {
  msgId: string;
  topic: string;
  queueId?: number;
  queueOffset?: number;
  /** Delayed messages: when the message becomes visible (epoch ms). */
  deliverAt?: number;
  /** Half messages of TRANSACTION topics: what commit and rollback name. */
  transactionId?: string;
  /** True when an earlier send with the same messageId was returned instead of storing anew. */
  duplicate: boolean;
}

/** A message handed to a consumer. */
export interface ReceivedMessage extends StoredMessage {
  deliveryAttempt: number;
  receiptHandle: string;
  /** Epoch ms until which this delivery is invisible to others. */
  invisibleUntil: number;
}

export interface DeadLetter {
  group: string;
  /** The consumption lane: the group, or `group@clientId` for a broadcasting instance. */
  consumer: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  msgId: string;
  deliveryAttempts: number;
  deadAt: number;
  reason: string;
}
