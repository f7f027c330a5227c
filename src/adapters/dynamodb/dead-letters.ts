import { randomUUID } from 'node:crypto';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { DeadLetter } from '../../core/model.ts';
import type { DeadLetterFilter, Lease, LeaseKey, NewLease } from '../../core/ports/store.ts';
import { N, num, S, str, ttlSeconds } from './attributes.ts';
import { deleteLeaseItemIfEmpty, removeLeaseEntryTransactItem } from './consumption-requests.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { deadLetterPartition, deadLetterSortKey, redriveBatchId } from './keys.ts';
import { itemVersion, leaseItemKey, newLeaseItem } from './lease-items.ts';
import { RECORD_LIFETIME_MS } from './options.ts';
import type { TableNames } from './table-definitions.ts';

/** A group's dead-letter queue: records that point at the message (which stays in its queue). */
export class DeadLetterRecords {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;

  constructor(gateway: DynamoGateway, tables: TableNames) {
    this.gateway = gateway;
    this.tables = tables;
  }

  /** One transaction: the lease goes (if its token still matches) and the dead letter appears. */
  async deadLetter(key: LeaseKey, expectedToken: string, entry: DeadLetter): Promise<boolean> {
    const items: TransactWriteItem[] = [
      // Race prevented: an ack or redelivery that got there first (token changed) keeps the message out of the DLQ.
      removeLeaseEntryTransactItem(this.tables, leaseItemKey(key), key.queueOffset, expectedToken),
      { Put: { TableName: this.tables.state, Item: deadLetterItem(entry) } },
    ];
    const outcome = await this.gateway.transact('other', 'deadLetter', items, randomUUID());
    if (!outcome.ok) return false;
    // Usually that was the batch's last lease: then the item goes, so it is not reported as the next due time.
    await this.gateway.delete('other', 'deadLetter', deleteLeaseItemIfEmpty(this.tables, leaseItemKey(key)));
    return true;
  }

  /**
   * Oldest first (sort key: deadAt, then position). With `filter.msgIds`, the whole DLQ partition is read and filtered here:
   * DynamoDB's Limit counts items before a filter, and redrive-by-id is rare.
   */
  async listDeadLetters(group: string, limit: number, filter?: DeadLetterFilter): Promise<DeadLetter[]> {
    const wanted = filter?.msgIds ? new Set(filter.msgIds) : undefined;
    if (wanted?.size === 0 || limit <= 0) return [];
    const out: DeadLetter[] = [];
    // The sort key orders letters by deadAt, then position: paging starts right after `after`.
    let startKey: Item | undefined = filter?.after
      ? { p: S(deadLetterPartition(group)), s: S(deadLetterSortKey(filter.after)) }
      : undefined;
    do {
      const page = await this.gateway.query('other', 'listDeadLetters', {
        TableName: this.tables.state,
        KeyConditionExpression: 'p = :p',
        ExpressionAttributeValues: { ':p': S(deadLetterPartition(group)) },
        ConsistentRead: true,
        Limit: wanted ? undefined : limit - out.length,
        ExclusiveStartKey: startKey,
      });
      for (const item of page.items) {
        const letter = JSON.parse(str(item, 'd') ?? '{}') as DeadLetter;
        if (!wanted || wanted.has(letter.msgId)) out.push(letter);
        if (out.length >= limit) return out;
      }
      startKey = page.lastKey;
    } while (startKey);
    return out;
  }

  /**
   * One transaction: the dead letter goes (if still there) and a due lease, in an item of its
   * own (`r<visibleAt>.<offset>`), gives the lane the message again.
   */
  async redrive(entry: DeadLetter, wanted: NewLease): Promise<Lease | false> {
    const lease: Lease = { ...wanted, batchId: redriveBatchId(wanted.visibleAt, wanted.queueOffset) };
    let existing: Item | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const items: TransactWriteItem[] = [
        {
          Delete: {
            TableName: this.tables.state,
            Key: deadLetterKey(entry),
            // Race prevented: two redrives of one letter; only the one that removes it restores the lease.
            ConditionExpression: 'attribute_exists(p)',
          },
        },
        {
          Put: {
            TableName: this.tables.state,
            Item: existing ? mergeInto(existing, lease) : newLeaseItem([lease]),
            // Race prevented: a lease item with this batchId appeared meanwhile; merge into the version we read.
            ...(existing
              ? {
                  ConditionExpression: 'ver = :ver',
                  ExpressionAttributeValues: { ':ver': N(itemVersion(existing) ?? 0) },
                }
              : { ConditionExpression: 'attribute_not_exists(p)' }),
          },
        },
      ];
      const outcome = await this.gateway.transact('other', 'redrive', items, randomUUID());
      if (outcome.ok) return lease;
      if (outcome.reasons[0]?.Code === 'ConditionalCheckFailed') return false;
      existing = await this.gateway.get('other', 'redrive', {
        TableName: this.tables.state,
        Key: leaseItemKey(lease),
        ConsistentRead: true,
      });
    }
    return false;
  }
}

function mergeInto(existing: Item, lease: Lease): Item {
  const fresh = newLeaseItem([lease]);
  return {
    ...existing,
    l: { M: { ...existing['l']?.M, ...fresh['l']?.M } },
    mv: N(Math.min(num(existing, 'mv') ?? lease.visibleAt, lease.visibleAt)),
    ver: N((itemVersion(existing) ?? 0) + 1),
  };
}

function deadLetterKey(entry: DeadLetter): Item {
  return { p: S(deadLetterPartition(entry.group)), s: S(deadLetterSortKey(entry)) };
}

function deadLetterItem(entry: DeadLetter): Item {
  return {
    ...deadLetterKey(entry),
    t: S(entry.topic),
    d: S(JSON.stringify(entry)),
    ttl: N(ttlSeconds(entry.deadAt + RECORD_LIFETIME_MS)),
  };
}
