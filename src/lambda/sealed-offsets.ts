/** The metric the sealed-offsets alarm watches (lib/monitoring.ts). */
export const SEALED_OFFSETS_METRIC = 'SealedOffsets';

/** Offsets [from, to) of one queue that a reader sealed. */
export interface SealedRange {
  topic: string;
  queueId: number;
  from: number;
  to: number;
}

/** Ranges named in one log line at most; the count covers them all. */
const MAX_LOGGED_RANGES = 20;

/**
 * Counts the offsets readers of this container seal (the DynamoDB store's `onSeal` hook):
 * offsets a writer reserved and never wrote, skipped after the hole timeout. The function
 * wrapper drains it after each invocation into the `SealedOffsets` metric and one warning,
 * so a reader that seals offset by offset still costs one metric line per invocation.
 * @example
 * const tally = new SealedOffsetsTally();
 * openDynamoDbStore({ hooks: { onSeal: tally.record } });
 * const { offsets, ranges } = tally.drain();
 */
export class SealedOffsetsTally {
  private offsets = 0;
  private ranges: SealedRange[] = [];

  readonly record = (topic: string, queueId: number, from: number, to: number): void => {
    this.offsets += to - from;
    if (this.ranges.length < MAX_LOGGED_RANGES) this.ranges.push({ topic, queueId, from, to });
  };

  /** What was sealed since the last drain, and starts counting afresh. */
  drain(): { offsets: number; ranges: SealedRange[] } {
    const drained = { offsets: this.offsets, ranges: this.ranges };
    this.offsets = 0;
    this.ranges = [];
    return drained;
  }
}

/** The container's tally: the Lambda broker reports into it, the function wrapper publishes it. */
export const sealedOffsets = new SealedOffsetsTally();
