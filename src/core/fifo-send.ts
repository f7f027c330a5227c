import { NimbusError } from './errors.ts';
import { withinCodePoints } from './limits.ts';
import type { MessageToAppend, Topic } from './model.ts';
import type { AppendResult, MessageLog } from './ports/message-log.ts';

/* Sends to FIFO topics: every message names its message group, and a group always lands in one queue. */

/** Longest message group, in characters. */
export const MAX_MESSAGE_GROUP_LENGTH = 128;

/**
 * A FIFO topic's messages name their message group (1-128 characters); other topics'
 * messages were checked for having none already.
 * @example
 * assertMessageGroup('orders', 'customer-42'); // passes
 * assertMessageGroup('orders', undefined); // throws MESSAGE_GROUP_REQUIRED
 */
export function assertMessageGroup(topic: string, messageGroup: string | undefined): void {
  if (messageGroup === undefined || messageGroup.length === 0) {
    throw new NimbusError(
      'MESSAGE_GROUP_REQUIRED',
      `Topic "${topic}" is FIFO: every message names its messageGroup (1-${MAX_MESSAGE_GROUP_LENGTH} characters).`,
    );
  }
  // Characters are code points, as the OpenAPI document's maxLength counts them.
  if (!withinCodePoints(messageGroup, MAX_MESSAGE_GROUP_LENGTH)) {
    throw new NimbusError('INVALID_ARGUMENT', `messageGroup has at most ${MAX_MESSAGE_GROUP_LENGTH} characters.`);
  }
  // A lone surrogate is stored as U+FFFD: the message would carry another group than the
  // one its queue was chosen by, and two groups would read as one.
  if (!messageGroup.isWellFormed()) {
    throw new NimbusError('INVALID_ARGUMENT', 'messageGroup must be valid Unicode (no lone surrogates).');
  }
}

/**
 * The queue of a FIFO message: a stable hash of its message group (FNV-1a over UTF-16 code
 * units), the same in every process and release, so a group's messages share one queue and
 * one offset order. Undefined for messages of other topics.
 * @example
 * fifoQueueOf({ name: 'orders', messageType: 'FIFO', queueCount: 8, ... }, { messageGroup: 'customer-42' }); // 0-7, always the same
 */
export function fifoQueueOf(topic: Topic, message: { messageGroup?: string }): number | undefined {
  if (topic.messageType !== 'FIFO' || message.messageGroup === undefined) return undefined;
  let hash = 0x811c9dc5;
  for (let i = 0; i < message.messageGroup.length; i++) {
    hash ^= message.messageGroup.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % topic.queueCount;
}

/**
 * Appends a FIFO batch split per queue: each queue's part is one atomic append (its
 * messages in batch order), the parts are independent. Results come back in batch order.
 * A failed part fails the send; parts that landed stay, and a retry with the same
 * messageIds stores nothing twice.
 */
export async function appendFifo(
  log: Pick<MessageLog, 'append'>,
  records: readonly MessageToAppend[],
): Promise<AppendResult[]> {
  const parts = new Map<number, number[]>();
  records.forEach((record, index) => {
    parts.set(record.queueId, [...(parts.get(record.queueId) ?? []), index]);
  });
  if (parts.size === 1) return log.append(records);
  const results: AppendResult[] = new Array(records.length);
  await Promise.all(
    [...parts.values()].map(async (indexes) => {
      const appended = await log.append(indexes.map((index) => records[index] as MessageToAppend));
      appended.forEach((result, i) => {
        results[indexes[i] as number] = result;
      });
    }),
  );
  return results;
}
