import type { ReceivedMessageBody } from '../api/types.ts';
import { receivedMessageView } from '../api/views.ts';
import type { PushBatch } from '../core/push-delivery.ts';

/**
 * One message as a subscribed function receives it: the same fields a pull consumer gets,
 * without the receipt handle (the push driver settles on the function's behalf).
 */
export type NimbusPushMessage = Omit<ReceivedMessageBody, 'receiptHandle' | 'invisibleUntil'>;

/**
 * The event a subscribed Lambda function is invoked with.
 * @example
 * export const handler = async (event: NimbusPushEvent): Promise<NimbusPushResponse> => {
 *   const failed = event.messages.filter((m) => !process(m));
 *   return { batchItemFailures: failed.map((m) => ({ itemIdentifier: m.msgId })) };
 * };
 */
export interface NimbusPushEvent {
  source: 'nimbus-mq';
  group: string;
  messages: NimbusPushMessage[];
}

/**
 * What a subscribed function returns: the messages that failed, by `msgId` (the same shape
 * as Lambda's SQS partial batch response). Returning nothing means every message succeeded;
 * throwing means the whole batch failed.
 */
export interface NimbusPushResponse {
  batchItemFailures?: { itemIdentifier: string }[];
}

export function toPushEvent(batch: PushBatch): NimbusPushEvent {
  return {
    source: 'nimbus-mq',
    group: batch.group,
    messages: batch.messages.map((message) => {
      const { receiptHandle: _handle, invisibleUntil: _until, ...view } = receivedMessageView(message);
      return view;
    }),
  };
}

/**
 * The failed ids a function reported. A response that is not a partial batch response
 * (nothing, or another value) counts as full success, like Lambda's own event sources;
 * a malformed failure list fails the whole batch, since we cannot tell what succeeded.
 */
export function failedIdsFrom(response: unknown, batchIds: readonly string[]): string[] {
  if (response === null || typeof response !== 'object' || !('batchItemFailures' in response)) return [];
  const failures = (response as { batchItemFailures: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return [];
  if (!Array.isArray(failures)) return [...batchIds];
  const ids: string[] = [];
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '') return [...batchIds];
    ids.push(id);
  }
  return ids;
}
