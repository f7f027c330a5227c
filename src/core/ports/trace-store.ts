import type { MessageRef } from '../model.ts';
import type { TraceEvent } from '../trace-event.ts';

/**
 * Whose lifecycle an event belongs to: a msgId for events before a message has a queue
 * position (hold, prepare, release), or its position for consumption events, whose receipt
 * handles name a position, not a msgId.
 */
export type TraceSubject = { msgId: string } | MessageRef;

/** One stored trace event. */
export interface TraceRecord {
  subject: TraceSubject;
  event: TraceEvent;
  /** Epoch ms when the record may go: the message's own expiry (trace expires with the message). */
  expireAt: number;
}

/**
 * The event seam's storage: trace records, appended in batches and read per subject.
 * Conformance: test/conformance/query-conformance.ts.
 */
export interface TraceStore {
  /** Stores records; cheap and batched (one write per call where the store allows). */
  appendTrace(records: readonly TraceRecord[]): Promise<void>;
  /** The unexpired records of the given subjects, in no particular order. */
  listTrace(subjects: readonly TraceSubject[], now: number): Promise<TraceRecord[]>;
}
