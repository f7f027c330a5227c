import type { DynamoGateway } from './gateway.ts';
import { queueKey } from './keys.ts';
import { headKey } from './message-requests.ts';
import type { TableNames } from './table-definitions.ts';

/**
 * The reserved tail (`n` of the head item) of every queue of a topic, in one BatchGetItem.
 * Eventually consistent, like range reads: a lagging head only makes a receive see new
 * messages on its next check, never skip one for good. A queue never written has tail 0.
 */
export async function readQueueHeads(
  gateway: DynamoGateway,
  tables: TableNames,
  topic: string,
  queueCount: number,
): Promise<number[]> {
  const ids = Array.from({ length: queueCount }, (_, queueId) => queueId);
  const items = await gateway.batchGet(
    'receive',
    'queueHeads',
    tables.messages,
    ids.map((queueId) => headKey(topic, queueId)),
    false,
  );
  const tails = new Map(items.map((item) => [item['q']?.S ?? '', Number(item['n']?.N ?? 0)]));
  return ids.map((queueId) => tails.get(queueKey(topic, queueId)) ?? 0);
}
