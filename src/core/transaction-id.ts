import { NimbusError } from './errors.ts';
import { decodeToken, encodeToken, NAME_FIELD } from './opaque-token.ts';

/** t1: topic and msgId (ids handed out before producer groups were named in them); t2: and the producer group. */
const VERSION_1 = 't1';
const VERSION_2 = 't2';
const MSG_ID_FIELD = /^[A-Za-z0-9_-]{1,64}$/;
const FIELDS_1 = [NAME_FIELD, MSG_ID_FIELD];
const FIELDS_2 = [NAME_FIELD, MSG_ID_FIELD, NAME_FIELD];

/** Where a transaction's half message is held (its topic and msgId), and whose it is. */
export interface TransactionRef {
  topic: string;
  msgId: string;
  /** The producer group that sent it; absent only in ids of the first format. */
  producerGroup?: string;
}

/**
 * A transaction id names the held record (topic + msgId), so commit and rollback find it
 * with one read and no index, and the producer group, so permissions can ask for it and an
 * id edited to name another group's message is refused. It is opaque to clients; its fields
 * are checked on decode so nothing malformed reaches a store key.
 */
export function encodeTransactionId(ref: TransactionRef): string {
  return ref.producerGroup === undefined
    ? encodeToken(VERSION_1, [ref.topic, ref.msgId])
    : encodeToken(VERSION_2, [ref.topic, ref.msgId, ref.producerGroup]);
}

export function decodeTransactionId(text: string): TransactionRef {
  const named = decodeToken(text, VERSION_2, FIELDS_2);
  if (named) {
    const [topic = '', msgId = '', producerGroup = ''] = named;
    return { topic, msgId, producerGroup };
  }
  const fields = decodeToken(text, VERSION_1, FIELDS_1);
  if (!fields) {
    throw new NimbusError('INVALID_TRANSACTION_ID', 'transactionId is not one returned by a half-message send.');
  }
  const [topic = '', msgId = ''] = fields;
  return { topic, msgId };
}
