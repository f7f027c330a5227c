import { N, S, ttlSeconds } from './attributes.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { lockPartition, SINGLE_SORT_KEY } from './keys.ts';
import type { TableNames } from './table-definitions.ts';

/**
 * Named locks: one small item per lock in the state table, `w` = owner, `e` = expiry (epoch
 * ms). TTL is set to the expiry, so the item of a holder that died vanishes by itself;
 * until TTL gets to it (up to days late) the condition below treats it as free.
 */
export class LockRecords {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;

  constructor(gateway: DynamoGateway, tables: TableNames) {
    this.gateway = gateway;
    this.tables = tables;
  }

  async acquireLock(name: string, owner: string, expiresAt: number, now: number): Promise<boolean> {
    const outcome = await this.gateway.put('other', 'acquireLock', {
      TableName: this.tables.state,
      Item: { ...lockKey(name), w: S(owner), e: N(expiresAt), ttl: N(ttlSeconds(expiresAt)) },
      // Race prevented: two runs taking the same lock at once. Only one conditional put wins
      // against a live lock of another owner; an expired lock or the owner's own is taken over.
      ConditionExpression: 'attribute_not_exists(p) OR e <= :now OR w = :owner',
      ExpressionAttributeValues: { ':now': N(now), ':owner': S(owner) },
    });
    return outcome.ok;
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    await this.gateway.delete('other', 'releaseLock', {
      TableName: this.tables.state,
      Key: lockKey(name),
      // Race prevented: a holder whose lock expired and was taken over must not free the new holder's lock.
      ConditionExpression: 'w = :owner',
      ExpressionAttributeValues: { ':owner': S(owner) },
    });
  }
}

function lockKey(name: string): Item {
  return { p: S(lockPartition(name)), s: S(SINGLE_SORT_KEY) };
}
