import { NimbusError } from './errors.ts';
import { parseLane } from './lane.ts';
import { decodeToken, encodeToken, INTEGER_FIELD } from './opaque-token.ts';
import type { LeaseKey } from './ports/store.ts';

/**
 * What a receipt handle carries: the lease it settles and the delivery token. Nothing in
 * it decides anything: the token must match the stored lease (an edited handle settles
 * nothing), and the delivery attempt is read from the store, never from the handle.
 */
export interface ReceiptHandle extends LeaseKey {
  token: string;
}

const VERSION = 'h3';
/** Topic names here are the user's, never system names with `%`. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const LANE = /^[A-Za-z0-9_-]{1,64}(@[A-Za-z0-9_.:@-]{1,128})?$/;
const BATCH = /^[A-Za-z0-9_.-]{1,64}$/;
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
const FIELDS = [LANE, NAME, INTEGER_FIELD, INTEGER_FIELD, BATCH, TOKEN];
/** Handles of earlier versions also carried the delivery attempt; it is read and ignored, so deliveries in flight across an upgrade still settle. */
const PREVIOUS_VERSION = 'h2';
const PREVIOUS_FIELDS = [...FIELDS, INTEGER_FIELD];

/**
 * Encodes a lease as an opaque, URL-safe receipt handle. Handles are self-describing so
 * that ack/nack need no lookup table; the token fences a handle to one delivery.
 */
export function encodeReceiptHandle(handle: ReceiptHandle): string {
  return encodeToken(VERSION, [
    handle.consumer,
    handle.topic,
    handle.queueId,
    handle.queueOffset,
    handle.batchId,
    handle.token,
  ]);
}

export function decodeReceiptHandle(text: string): ReceiptHandle {
  const fields = decodeToken(text, VERSION, FIELDS) ?? decodeToken(text, PREVIOUS_VERSION, PREVIOUS_FIELDS);
  if (!fields) throw new NimbusError('INVALID_RECEIPT_HANDLE', 'The receipt handle is malformed.');
  const [consumer = '', topic = '', queueId, queueOffset, batchId = '', token = ''] = fields;
  return {
    consumer,
    topic,
    queueId: Number(queueId),
    queueOffset: Number(queueOffset),
    batchId,
    token,
  };
}

/** The consumer group that owns a lane (`group` or `group@clientId`). */
export function groupOfLane(consumer: string): string {
  return parseLane(consumer).group;
}
