import type { ReceivedMessageBody } from '../api/types.ts';
import { base64ToBytes } from './base64.ts';

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * A message handed to this consumer. `receiptHandle` settles this delivery; it changes
 * when the invisible duration is changed through the consumer.
 * @example
 * const [message] = await consumer.receive();
 * if (message) console.log(message.text(), message.deliveryAttempt);
 */
export class ReceivedMessage {
  readonly msgId: string;
  readonly topic: string;
  readonly queueId: number;
  readonly queueOffset: number;
  /** The body bytes exactly as sent. */
  readonly body: Uint8Array;
  readonly tag: string | undefined;
  readonly keys: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
  /** Epoch ms when the producer sent it. */
  readonly bornTimestamp: number;
  /** Epoch ms when the broker stored it. */
  readonly storeTimestamp: number;
  /** Delayed messages: epoch ms when it was due to become visible. */
  readonly deliverAt: number | undefined;
  /** FIFO topics: the message group it was sent with. */
  readonly messageGroup: string | undefined;
  /** 1 on first delivery. */
  readonly deliveryAttempt: number;
  receiptHandle: string;
  /** Epoch ms until which no other consumer gets this message. */
  invisibleUntil: number;

  constructor(wire: ReceivedMessageBody) {
    this.msgId = wire.msgId;
    this.topic = wire.topic;
    this.queueId = wire.queueId;
    this.queueOffset = wire.queueOffset;
    this.body = wire.bodyEncoding === 'base64' ? base64ToBytes(wire.body) : utf8.encode(wire.body);
    this.tag = wire.tag;
    this.keys = wire.keys;
    this.properties = wire.properties;
    this.bornTimestamp = wire.bornTimestamp;
    this.storeTimestamp = wire.storeTimestamp;
    this.deliverAt = wire.deliverAt;
    this.messageGroup = wire.messageGroup;
    this.deliveryAttempt = wire.deliveryAttempt;
    this.receiptHandle = wire.receiptHandle;
    this.invisibleUntil = wire.invisibleUntil;
  }

  /** The body decoded as UTF-8. */
  text(): string {
    return utf8Decoder.decode(this.body);
  }

  /** The body parsed as JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }
}
