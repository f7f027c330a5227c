import { NimbusError } from './errors.ts';
import { decodeToken, encodeToken, NAME_FIELD } from './opaque-token.ts';

const VERSION = 't1';
const MSG_ID_FIELD = /^[A-Za-z0-9_-]{1,64}$/;
const FIELDS = [NAME_FIELD, MSG_ID_FIELD];

/** Where a transaction's half message is held: its topic and msgId. */
export interface TransactionRef {
  topic: string;
  msgId: string;
}

/**
 * A transaction id names the held record (topic + msgId), so commit and rollback find it
 * with one read and no index. It is opaque to clients; its fields are checked on decode so
 * nothing malformed reaches a store key.
 */
export function encodeTransactionId(ref: TransactionRef): string {
  return encodeToken(VERSION, [ref.topic, ref.msgId]);
}

export function decodeTransactionId(text: string): TransactionRef {
  const fields = decodeToken(text, VERSION, FIELDS);
  if (!fields) {
    throw new NimbusError('INVALID_TRANSACTION_ID', 'transactionId is not one returned by a half-message send.');
  }
  const [topic = '', msgId = ''] = fields;
  return { topic, msgId };
}
