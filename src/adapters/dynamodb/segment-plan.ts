import type { MessageToAppend } from '../../core/model.ts';
import { encodedSize } from './segment-codec.ts';

/** Most messages one segment item holds (a segment and its idempotency records fit one transaction). */
export const MAX_SEGMENT_MESSAGES = 64;
/** Estimated encoded bytes per segment item, below DynamoDB's 400 KB item limit. */
export const MAX_SEGMENT_BYTES = 350_000;

/** One message on its way into a queue. */
export interface AppendEntry {
  /** Position in the append call's input. */
  index: number;
  message: MessageToAppend;
  /** S3 key when the body is claim-checked. */
  claimKey?: string;
  /** The msgId of an idempotency record found to point at nothing: it may be replaced. */
  staleMsgId?: string;
  /** This writer's claim on the entry's (topic, messageId), while it holds one. */
  owner?: string;
  /** Set once the entry is stored or found to be a duplicate. */
  done?: boolean;
}

export interface SegmentDraft {
  entries: AppendEntry[];
  storeTimestamp: number;
}

/**
 * Splits one queue's messages (in order) into segments: a new segment starts at the
 * message count or size limit, or when the store time changes (a segment has one store
 * time, which keys the msgId lookup index).
 */
export function planSegments(entries: readonly AppendEntry[]): SegmentDraft[] {
  const drafts: SegmentDraft[] = [];
  let current: SegmentDraft | undefined;
  let bytes = 0;
  for (const entry of entries) {
    const size = encodedSize({ ...entry.message, queueOffset: 0 }, entry.claimKey);
    if (
      !current ||
      current.entries.length >= MAX_SEGMENT_MESSAGES ||
      bytes + size > MAX_SEGMENT_BYTES ||
      current.storeTimestamp !== entry.message.storeTimestamp
    ) {
      current = { entries: [], storeTimestamp: entry.message.storeTimestamp };
      drafts.push(current);
      bytes = 0;
    }
    current.entries.push(entry);
    bytes += size;
  }
  return drafts;
}
