import { NimbusError } from '../../core/errors.ts';
import type { MessageToAppend } from '../../core/model.ts';
import { keyIndexPartition } from './keys.ts';
import { encodeSegment } from './segment-codec.ts';
import type { SegmentDraft } from './segment-plan.ts';

/**
 * What an append checks and encodes before it reserves offsets: whatever the input, nothing
 * can refuse it between the reservation and the put (appender.ts).
 */

/**
 * The segment bytes of a draft at `firstOffset`: entries already stored elsewhere, or whose
 * idempotency claim is not ours, become void slots. Pure: it throws, if ever, before any write.
 */
export function encodeDraft(draft: SegmentDraft, firstOffset: number) {
  const { topic, queueId } = draft.entries[0]?.message ?? { topic: '', queueId: 0 };
  const slots = draft.entries.map((entry, i) =>
    entry.done || (entry.message.messageId !== undefined && !entry.owner)
      ? null
      : { ...entry, message: { ...entry.message, queueOffset: firstOffset + i } },
  );
  const live = slots.filter((slot) => slot !== null);
  const expireAt = Math.max(...draft.entries.map((entry) => entry.message.expireAt));
  const data = encodeSegment(slots, { topic, queueId, firstOffset, storeTimestamp: draft.storeTimestamp, expireAt });
  if (data.byteLength > MAX_ITEM_DATA_BYTES) {
    throw new NimbusError('BODY_TOO_LARGE', `A segment of ${data.byteLength} bytes does not fit a DynamoDB item.`);
  }
  return { live, data };
}

/** A key index entry's partition key (`K#topic#key`) must fit DynamoDB's 2,048 bytes: refused before any write. */
export function assertIndexableKeys(message: MessageToAppend): void {
  for (const key of message.keys) {
    if (Buffer.byteLength(keyIndexPartition(message.topic, key)) > 2_048) {
      throw new NimbusError('INVALID_KEY', `Message key "${key.slice(0, 32)}..." is too long to index.`);
    }
  }
}

/** DynamoDB items hold 400 KB; the rest of a segment item's attributes take well under 1 KB. */
const MAX_ITEM_DATA_BYTES = 399_000;
