import { NimbusError } from './errors.ts';
import { decodeToken, encodeToken, INTEGER_FIELD } from './opaque-token.ts';
import type { HeldPosition } from './ports/store.ts';

const VERSION = 's1';
const MSG_ID_FIELD = /^[A-Za-z0-9_-]{1,64}$/;
const FIELDS = [INTEGER_FIELD, MSG_ID_FIELD];

/** Encodes where a page of held messages ended (due time and msgId of its last one) as a `nextToken`. */
export function encodeHeldCursor(position: HeldPosition): string {
  return encodeToken(VERSION, [position.dueAt, position.msgId]);
}

export function decodeHeldCursor(text: string): HeldPosition {
  const fields = decodeToken(text, VERSION, FIELDS);
  if (!fields) throw new NimbusError('INVALID_ARGUMENT', 'after is not a nextToken returned by a scheduled listing.');
  const [dueAt, msgId = ''] = fields;
  return { dueAt: Number(dueAt), msgId };
}
