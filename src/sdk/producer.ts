import type { SendBatchResultBody, SendMessageRequest, SendResultBody } from '../api/types.ts';
import { bytesToBase64 } from './base64.ts';
import type { CallOptions, Client } from './client.ts';

/**
 * A body as text (sent as UTF-8) or as bytes.
 * @example
 * const body: MessageBody = new TextEncoder().encode('hello');
 */
export type MessageBody = string | Uint8Array;

/**
 * A message to send with its metadata.
 * @example
 * const message: OutgoingMessage = { body: '{"id":7}', tag: 'created', keys: ['order-7'], messageId: 'order-7' };
 */
export interface OutgoingMessage {
  body: MessageBody;
  /** One tag, for server-side filtering by consumer groups. */
  tag?: string;
  /** Business keys to look the message up by. */
  keys?: string[];
  properties?: Record<string, string>;
  /** Idempotency key: sending the same key again within retention returns the first result. */
  messageId?: string;
  /** Sharding key, for ordered (FIFO) topics. */
  messageGroup?: string;
  /** Delayed topics: when to deliver. */
  deliverAt?: number | Date;
  /** Delayed topics: delay from now in milliseconds. */
  delayMs?: number;
}

/**
 * Where a sent message was stored; `duplicate` when its messageId was sent before.
 * @example
 * const { msgId, queueId, queueOffset, duplicate }: SendResult = await producer.send('orders', 'hi');
 */
export type SendResult = SendResultBody;

/**
 * Sends messages to topics. A send that resolved is durably stored.
 * @example
 * const producer = new Producer(client);
 * const { msgId } = await producer.send('orders', { body: JSON.stringify(order), tag: 'created', keys: [order.id] });
 */
export class Producer {
  private readonly client: Client;

  constructor(client: Client) {
    this.client = client;
  }

  /** Sends one message; a bare string or Uint8Array is the body of an untagged message. */
  send(topic: string, message: OutgoingMessage | MessageBody, call?: CallOptions): Promise<SendResult> {
    return this.client.request('POST', messagesPath(topic), toWire(message), call);
  }

  /** Sends up to 32 messages in one request, stored together or not at all. */
  async sendBatch(topic: string, messages: readonly (OutgoingMessage | MessageBody)[], call?: CallOptions) {
    const body = { messages: messages.map(toWire) };
    const { results } = await this.client.request<SendBatchResultBody>('POST', messagesPath(topic), body, call);
    return results as SendResult[];
  }
}

function messagesPath(topic: string): string {
  return `/v1/topics/${encodeURIComponent(topic)}/messages`;
}

/** An outgoing message as the send route takes it. */
export function toWire(input: OutgoingMessage | MessageBody): SendMessageRequest {
  const message = typeof input === 'string' || input instanceof Uint8Array ? { body: input } : input;
  const { body, deliverAt, ...rest } = message;
  const encoded =
    typeof body === 'string'
      ? { body, bodyEncoding: 'utf8' as const }
      : { body: bytesToBase64(body), bodyEncoding: 'base64' as const };
  return {
    ...rest,
    ...encoded,
    ...(deliverAt === undefined ? {} : { deliverAt: deliverAt instanceof Date ? deliverAt.getTime() : deliverAt }),
  };
}
