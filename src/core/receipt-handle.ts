import { NimbusError } from './errors.ts';
import type { LeaseKey } from './ports/store.ts';

/** What a receipt handle carries: the lease it settles, the delivery token and attempt. */
export interface ReceiptHandle extends LeaseKey {
  token: string;
  attempt: number;
}

/**
 * Encodes a lease as an opaque, URL-safe receipt handle. Handles are self-describing so
 * that ack/nack need no lookup table; the token fences a handle to one delivery.
 */
export function encodeReceiptHandle(handle: ReceiptHandle): string {
  const parts = [
    'v1',
    handle.consumer,
    handle.topic,
    handle.queueId,
    handle.queueOffset,
    handle.batchId,
    handle.token,
    handle.attempt,
  ];
  return toBase64Url(JSON.stringify(parts));
}

export function decodeReceiptHandle(text: string): ReceiptHandle {
  try {
    const parts: unknown = JSON.parse(fromBase64Url(text));
    if (Array.isArray(parts) && parts.length === 8 && parts[0] === 'v1') {
      const [, consumer, topic, queueId, queueOffset, batchId, token, attempt] = parts;
      if (
        typeof consumer === 'string' &&
        typeof topic === 'string' &&
        Number.isSafeInteger(queueId) &&
        Number.isSafeInteger(queueOffset) &&
        typeof batchId === 'string' &&
        typeof token === 'string' &&
        Number.isSafeInteger(attempt)
      ) {
        return { consumer, topic, queueId, queueOffset, batchId, token, attempt };
      }
    }
  } catch {
    // fall through: any decoding failure is the same client error
  }
  throw new NimbusError('INVALID_RECEIPT_HANDLE', 'The receipt handle is malformed.');
}

/** The consumer group that owns a lane (`group` or `group@clientId`). */
export function groupOfLane(consumer: string): string {
  const at = consumer.indexOf('@');
  return at === -1 ? consumer : consumer.slice(0, at);
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}
