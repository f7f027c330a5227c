import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { N, num, S, str } from './attributes.ts';
import type { Consumption } from './consumption.ts';
import { cursorKey } from './consumption-requests.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { groupLanesPartition, leasePartition } from './keys.ts';
import type { TableNames } from './table-definitions.ts';

const BATCH_WRITE_LIMIT = 25;

/** Offset reset, lease counts and the lanes of a group on DynamoDB (state table). */
export class LaneResets {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly consumption: Consumption;

  constructor(gateway: DynamoGateway, tables: TableNames, consumption: Consumption) {
    this.gateway = gateway;
    this.tables = tables;
    this.consumption = consumption;
  }

  /**
   * Sets each cursor and bumps its version (`cv`), then deletes the lane's lease items of
   * that queue. Unconditional on purpose: a reset overrides whatever position the cursor
   * had. Race prevented by the bump: a receive that read the old position fails its claim's
   * condition (`at = :from`), so it cannot carry the cursor past the reset; leases it won
   * before the reset are deleted here, so their handles answer as stale.
   */
  async resetCursors(lane: string, topic: string, cursors: ReadonlyMap<number, number>): Promise<void> {
    await this.consumption.registerLane(lane, topic);
    for (const [queueId, offset] of cursors) {
      await this.gateway.update('other', 'resetCursor', {
        TableName: this.tables.state,
        Key: cursorKey(lane, topic, queueId),
        UpdateExpression: 'SET #at = :to ADD cv :one',
        // `at` is a reserved word in DynamoDB expressions.
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':to': N(offset), ':one': N(1) },
      });
      const keys = (await this.leaseItems(lane, topic, queueId)).map((item) => ({ p: item['p'], s: item['s'] }));
      const requests: WriteRequest[] = keys.map((Key) => ({ DeleteRequest: { Key: Key as Item } }));
      for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
        await this.gateway.batchWrite(
          'other',
          'resetCursor',
          this.tables.state,
          requests.slice(i, i + BATCH_WRITE_LIMIT),
        );
      }
    }
  }

  async countLeases(lane: string, topic: string): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    for (const item of await this.leaseItems(lane, topic)) {
      const queueId = num(item, 'q') ?? 0;
      counts.set(queueId, (counts.get(queueId) ?? 0) + Object.keys(item['l']?.M ?? {}).length);
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
