import { NimbusError } from './errors.ts';
import { decodeToken, encodeToken, INTEGER_FIELD, LANE_FIELD, NAME_FIELD } from './opaque-token.ts';
import type { DeadLetterPosition } from './ports/store.ts';

const VERSION = 'd1';
const FIELDS = [INTEGER_FIELD, LANE_FIELD, NAME_FIELD, INTEGER_FIELD, INTEGER_FIELD];

/**
 * Encodes where a page of dead letters ended as an opaque `nextToken`: the position of its
 * last letter. A position, not an index, so letters redriven meanwhile shift nothing.
 */
export function encodeDeadLetterCursor(position: DeadLetterPosition): string {
  return encodeToken(VERSION, [
    position.deadAt,
    position.consumer,
    position.topic,
    position.queueId,
    position.queueOffset,
  ]);
}

export function decodeDeadLetterCursor(text: string): DeadLetterPosition {
  const fields = decodeToken(text, VERSION, FIELDS);
  if (!fields) throw new NimbusError('INVALID_ARGUMENT', 'after is not a nextToken returned by a dead-letter listing.');
  const [deadAt, consumer = '', topic = '', queueId, queueOffset] = fields;
  return { deadAt: Number(deadAt), consumer, topic, queueId: Number(queueId), queueOffset: Number(queueOffset) };
}
