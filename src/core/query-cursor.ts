import { NimbusError } from './errors.ts';
import { decodeToken, encodeToken, INTEGER_FIELD } from './opaque-token.ts';
import type { KeyPosition } from './ports/store.ts';

/** Where a page of a message query ended: after a key match, or at a queue position of a time range. */
export type QueryPosition = { kind: 'key'; after: KeyPosition } | { kind: 'time'; queueId: number; offset: number };

const KEY_VERSION = 'qk1';
const TIME_VERSION = 'qt1';
const MSG_ID_FIELD = /^[A-Za-z0-9_-]{1,64}$/;

/** Encodes a query position as a `nextToken`. */
export function encodeQueryCursor(position: QueryPosition): string {
  return position.kind === 'key'
    ? encodeToken(KEY_VERSION, [position.after.storeTimestamp, position.after.msgId])
    : encodeToken(TIME_VERSION, [position.queueId, position.offset]);
}

/** Decodes a `nextToken` of the same kind of query; anything else is INVALID_ARGUMENT. */
export function decodeQueryCursor(text: string, kind: QueryPosition['kind']): QueryPosition {
  if (kind === 'key') {
    const fields = decodeToken(text, KEY_VERSION, [INTEGER_FIELD, MSG_ID_FIELD]);
    if (fields) return { kind, after: { storeTimestamp: Number(fields[0]), msgId: fields[1] ?? '' } };
  } else {
    const fields = decodeToken(text, TIME_VERSION, [INTEGER_FIELD, INTEGER_FIELD]);
    if (fields) return { kind, queueId: Number(fields[0]), offset: Number(fields[1]) };
  }
  throw new NimbusError('INVALID_ARGUMENT', 'nextToken is not one a query of this kind answered.');
}
