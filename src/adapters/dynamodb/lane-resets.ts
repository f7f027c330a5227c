import type { LeaseCounts } from '../../core/ports/consumption-store.ts';
import { N, num, S, str } from './attributes.ts';
import type { Consumption } from './consumption.ts';
import { cursorKey } from './consumption-requests.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { groupLanesPartition, leasePartition } from './keys.ts';
import { itemKeyOf, itemVersion } from './lease-items.ts';
import type { DynamoDbStoreHooks } from './options.ts';
import type { TableNames } from './table-definitions.ts';

/** Offset reset, lease counts and the lanes of a group on DynamoDB (state table). */
export class LaneResets {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly consumption: Consumption;

  private readonly hooks: DynamoDbStoreHooks;

  constructor(gateway: DynamoGateway, tables: TableNames, consumption: Consumption, hooks: DynamoDbStoreHooks = {}) {
    this.gateway = gateway;
    this.tables = tables;
    this.consumption = consumption;
    this.hooks = hooks;
  }

  /**
   * Per queue: lists the lane's lease items, sets the cursor and bumps its version (`cv`),
   * then deletes the listed items. The cursor write is unconditional on purpose: a reset
   * overrides whatever position the cursor had. Race prevented by the bump: a receive that
   * read the old position fails its claim's condition (`at = :from`), so it cannot carry the
   * cursor past the reset. Leases are listed before the cursor moves, so a receive that
   * claims from the new position while the reset runs keeps its leases (deleting whatever
   * is there after the move would drop them, and lose its messages). A crash between the
   * two steps leaves old leases to come back when their invisible time ends; a reset again
   * drops them.
   */
  async resetCursors(lane: string, topic: string, cursors: ReadonlyMap<number, number>): Promise<void> {
    await this.consumption.registerLane(lane, topic);
    for (const [queueId, offset] of cursors) {
      const before = await this.leaseItems(lane, topic, queueId);
      await this.gateway.update('other', 'resetCursor', {
        TableName: this.tables.state,
        Key: cursorKey(lane, topic, queueId),
        UpdateExpression: 'SET #at = :to ADD cv :one',
        // `at` is a reserved word in DynamoDB expressions.
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':to': N(offset), ':one': N(1) },
      });
      await this.hooks.afterResetCursor?.({ lane, topic, queueId });
      for (const item of before) await this.dropUnchanged(item);
    }
  }

  /**
   * Deletes a lease item listed before the reset. Race prevented by `ver = :ver`: a claim
   * from the new position that merged its leases into this item since (the reset moved the
   * cursor back to where the item's key points) bumped `ver`; that item stays, so the new
   * leases in it still settle.
   */
  private async dropUnchanged(item: Item): Promise<void> {
    const version = itemVersion(item);
    await this.gateway.delete('other', 'resetCursor', {
      TableName: this.tables.state,
      Key: itemKeyOf(item),
      ...(version === undefined
        ? { ConditionExpression: 'attribute_not_exists(ver)' }
        : { ConditionExpression: 'ver = :ver', ExpressionAttributeValues: { ':ver': N(version) } }),
    });
  }

  async countLeases(lane: string, topic: string): Promise<Map<number, LeaseCounts>> {
    const counts = new Map<number, LeaseCounts>();
    for (const item of await this.leaseItems(lane, topic)) {
      const queueId = num(item, 'q') ?? 0;
      const queue = counts.get(queueId) ?? { inFlight: 0, parked: 0 };
      for (const entry of Object.values(item['l']?.M ?? {})) {
        // Attempt 0: parked by an orderly receive, never handed out.
        if (entry.M?.['a']?.N === '0') queue.parked++;
        else queue.inFlight++;
      }
      counts.set(queueId, queue);
    }
    return counts;
  }

  async listLanes(group: string, topic: string): Promise<string[]> {
    const lanes: string[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.gateway.query('other', 'listLanes', {
        TableName: this.tables.state,
        KeyConditionExpression: 'p = :p',
        ExpressionAttributeValues: { ':p': S(groupLanesPartition(group)) },
        ExclusiveStartKey: startKey,
      });
      for (const item of page.items) if (str(item, 't') === topic) lanes.push(str(item, 'l') ?? '');
      startKey = page.lastKey;
    } while (startKey);
    return lanes.filter((lane) => lane !== '').sort();
  }

  /** The lane's lease items on a topic, of one queue when `queueId` is given (strongly consistent). */
  private async leaseItems(lane: string, topic: string, queueId?: number): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.gateway.query('other', 'leaseItems', {
        TableName: this.tables.state,
        KeyConditionExpression: queueId === undefined ? 'p = :p' : 'p = :p AND begins_with(s, :queue)',
        ExpressionAttributeValues: {
          ':p': S(leasePartition(lane, topic)),
          ...(queueId === undefined ? {} : { ':queue': S(`${queueId}#`) }),
        },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      });
      items.push(...page.items);
      startKey = page.lastKey;
    } while (startKey);
    return items;
  }
}
