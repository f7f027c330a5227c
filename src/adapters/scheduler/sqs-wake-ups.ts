import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ReleaseWakeUp } from './release-events.ts';

/** SQS delays a message at most 15 minutes. */
export const MAX_SQS_DELAY_MS = 900_000;
/** SendMessageBatch takes at most 10 entries. */
const BATCH = 10;

/**
 * The last, second-precise step of a delay: one SQS message per held message, delayed
 * (`DelaySeconds`, 0-900) until its due time, rounded up so it never arrives early. The
 * timer-release function receives it and releases the message.
 */
export class SqsWakeUps {
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;

  constructor(sqs: SQSClient, queueUrl: string) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
  }

  /** Sends wake-ups for messages due within 15 minutes of `now` (later ones get the longest delay). */
  async send(wakeUps: readonly ReleaseWakeUp[], now: number): Promise<void> {
    for (let start = 0; start < wakeUps.length; start += BATCH) {
      const chunk = wakeUps.slice(start, start + BATCH);
      const out = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((wakeUp, i) => ({
            Id: String(i),
            MessageBody: JSON.stringify(wakeUp),
            DelaySeconds: delaySeconds(wakeUp.dueAt, now),
          })),
        }),
      );
      const failed = out.Failed ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new Error(`SQS refused ${failed.length} wake-up(s): ${first?.Code ?? 'unknown'} ${first?.Message ?? ''}`);
      }
    }
  }
}

/** Whole seconds until `dueAt`, rounded up (never early), within SQS's 0-900. */
export function delaySeconds(dueAt: number, now: number): number {
  return Math.min(MAX_SQS_DELAY_MS / 1000, Math.max(0, Math.ceil((dueAt - now) / 1000)));
}
