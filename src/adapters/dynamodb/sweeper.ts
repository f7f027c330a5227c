import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import type { Topic } from '../../core/model.ts';
import { N, S } from './attributes.ts';
import type { ClaimCheck } from './claim-check.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { keyIndexPartition, keyIndexSortKey, queueKey } from './keys.ts';
import { dedupKey, queryForward } from './message-requests.ts';
import { decodeItemSlots, parseQueueItem } from './queue-items.ts';
import type { TableNames } from './table-definitions.ts';

const PAGE = 25;

/**
 * The retention sweep: from the oldest end of each queue, deletes segments and tombstones
 * whose expiry passed, with their key-index and idempotency records and S3 bodies.
 * DynamoDB TTL does the same lazily; this only reclaims sooner. Idempotent: deleting a
 * deleted item succeeds.
 */
export class Sweeper {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly claimCheck: ClaimCheck | undefined;

  constructor(gateway: DynamoGateway, tables: TableNames, claimCheck: ClaimCheck | undefined) {
    this.gateway = gateway;
    this.tables = tables;
    this.claimCheck = claimCheck;
  }

  /** Returns the number of messages removed. */
  async sweep(topics: readonly Topic[], now: number, limit: number): Promise<number> {
    let removed = 0;
    for (const topic of topics) {
      for (let queueId = 0; queueId < topic.queueCount && removed < limit; queueId++) {
        removed += await this.sweepQueue(topic.name, queueId, now, limit - removed);
      }
    }
    return removed;
  }

  private async sweepQueue(topic: string, queueId: number, now: number, limit: number): Promise<number> {
    const q = queueKey(topic, queueId);
    let removed = 0;
    let startKey: Item | undefined;
    while (removed < limit) {
      const page = await this.gateway.query('other', 'sweep', queryForward(this.tables, q, 0, PAGE, false, startKey));
      const deletes: WriteRequest[] = [];
      const indexDeletes: WriteRequest[] = [];
      const bodies: string[] = [];
      const dedups: { messageId: string; msgId: string }[] = [];
      let reachedLive = false;
      for (const raw of page.items) {
        const item = parseQueueItem(raw);
        if (item.kind === 'head') break;
        if (item.kind === 'segment' && item.expireAt > now) {
          reachedLive = true;
          break;
        }
        // Tombstones that have not expired yet are stepped over, not waited for.
        if (item.kind === 'tombstone' && (Number(raw['e']?.N) || 0) > now) continue;
        deletes.push({ DeleteRequest: { Key: { q: S(q), o: N(item.offset) } } });
        if (item.kind !== 'segment') continue;
        for (const slot of decodeItemSlots(item, topic, queueId)) {
          if (slot.kind !== 'message') continue;
          removed++;
          const { message } = slot;
          if (slot.claimKey) bodies.push(slot.claimKey);
          for (const key of message.keys) {
            indexDeletes.push({
              DeleteRequest: {
                Key: {
                  p: S(keyIndexPartition(topic, key)),
                  s: S(keyIndexSortKey(message.storeTimestamp, message.msgId)),
                },
              },
            });
          }
          if (message.messageId !== undefined) dedups.push({ messageId: message.messageId, msgId: message.msgId });
        }
        if (removed >= limit) break;
      }
      // Index records and bodies first: a crash then leaves a segment that the next sweep finds again.
      if (indexDeletes.length > 0)
        await this.gateway.batchWrite('other', 'sweep', this.tables.index, unique(indexDeletes));
      await Promise.all(
        dedups.map(({ messageId, msgId }) =>
          this.gateway.delete('other', 'sweep', {
            TableName: this.tables.index,
            Key: dedupKey(topic, messageId),
            // Race prevented: a later message reused the messageId after this one expired; its record stays.
            ConditionExpression: 'i = :msgId',
            ExpressionAttributeValues: { ':msgId': S(msgId) },
          }),
        ),
      );
      if (bodies.length > 0) await this.claimCheck?.deleteMany(bodies);
      if (deletes.length > 0) await this.gateway.batchWrite('other', 'sweep', this.tables.messages, deletes);
      startKey = page.lastKey;
      if (reachedLive || !startKey || deletes.length === 0) break;
    }
    return removed;
  }
}

/** BatchWriteItem refuses the same key twice in one request (two keys of one message may coincide). */
function unique(requests: WriteRequest[]): WriteRequest[] {
  const seen = new Set<string>();
  return requests.filter((request) => {
    const id = JSON.stringify(request.DeleteRequest?.Key);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
