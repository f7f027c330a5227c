import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { NimbusError } from '../../core/errors.ts';
import { parseLane } from '../../core/lane.ts';
import type { Group, Topic } from '../../core/model.ts';
import type { ProducerGroup } from '../../core/producer-group.ts';
import { N, num, S, str } from './attributes.ts';
import type { ClaimCheck } from './claim-check.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import {
  cursorPartition,
  deadLetterPartition,
  GROUPS_PARTITION,
  groupLanesPartition,
  HEAD_OFFSET,
  leasePartition,
  queueKey,
  TOPICS_PARTITION,
  topicLanesPartition,
} from './keys.ts';
import { fenceQueueHead } from './message-requests.ts';
import { type ProducerSecretOptions, producerGroupFromStored, storedProducerGroup } from './secret-sealer.ts';
import type { TableNames } from './table-definitions.ts';
import { putDeletedTopicFloor } from './tombstone-requests.ts';

/** Partition of producer-group records in the state table (apart from `topic` and `group`). */
const PRODUCER_GROUPS_PARTITION = 'producer-group';

/**
 * Topics and groups (one small item each, JSON in `d`), and their complete removal:
 * a deleted topic takes its messages, cursors, leases and dead letters along (its queue
 * heads stay, as a fence against late writers); a deleted
 * group its lanes' cursors, leases and dead letters. Idempotency and key-index records
 * are left to TTL (lookups check them against the queue).
 *
 * A topic record keeps, beside its JSON, `ic`: the topic's incarnation (how many times a
 * topic of that name was deleted). Writers name it on every reservation
 * (topic-incarnations.ts). Deleting a topic keeps the record without its JSON (`dp` while
 * the deletion runs), so the count survives into a re-created topic of the same name.
 */
export class CatalogRecords {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly claimCheck: ClaimCheck | undefined;
  private readonly secrets: ProducerSecretOptions | undefined;

  constructor(
    gateway: DynamoGateway,
    tables: TableNames,
    claimCheck: ClaimCheck | undefined,
    secrets?: ProducerSecretOptions,
  ) {
    this.gateway = gateway;
    this.tables = tables;
    this.claimCheck = claimCheck;
    this.secrets = secrets;
  }

  getTopic(name: string): Promise<Topic | undefined> {
    return this.getRecord<Topic>(TOPICS_PARTITION, name);
  }

  listTopics(): Promise<Topic[]> {
    return this.listRecords<Topic>(TOPICS_PARTITION);
  }

  /**
   * Creates or updates a topic, keeping its incarnation. Race prevented: re-creating a topic
   * while its deletion still runs (`dp`), which would then remove the new topic's lanes.
   */
  async saveTopic(topic: Topic): Promise<void> {
    const outcome = await this.gateway.update('other', 'catalog.put', {
      TableName: this.tables.state,
      Key: { p: S(TOPICS_PARTITION), s: S(topic.name) },
      UpdateExpression: 'SET d = :d, ic = if_not_exists(ic, :zero)',
      ConditionExpression: 'attribute_not_exists(dp)',
      ExpressionAttributeValues: { ':d': S(JSON.stringify(topic)), ':zero': N(0) },
    });
    if (!outcome.ok) {
      throw new NimbusError('STORE_UNAVAILABLE', `Topic "${topic.name}" is still being deleted; try again shortly.`);
    }
  }

  getGroup(name: string): Promise<Group | undefined> {
    return this.getRecord<Group>(GROUPS_PARTITION, name);
  }

  listGroups(): Promise<Group[]> {
    return this.listRecords<Group>(GROUPS_PARTITION);
  }

  saveGroup(group: Group): Promise<void> {
    return this.putRecord(GROUPS_PARTITION, group.name, group);
  }

  // Producer groups of transactional messages: one item each in their own partition of the
  // state table, like topics and groups. Nothing else is stored under a producer group.
  // With a secret sealer a webhook secret is kept sealed in `ws`, out of the JSON
  // (secret-sealer.ts); a record without `ws` (also one from before) holds it in the JSON.
  async getProducerGroup(name: string): Promise<ProducerGroup | undefined> {
    const item = await this.gateway.get('other', 'catalog.get', {
      TableName: this.tables.state,
      Key: { p: S(PRODUCER_GROUPS_PARTITION), s: S(name) },
      ConsistentRead: true,
    });
    return this.producerGroupOf(item);
  }

  async listProducerGroups(): Promise<ProducerGroup[]> {
    const items = await this.queryPartition(this.tables.state, 'p', PRODUCER_GROUPS_PARTITION);
    const groups = await Promise.all(items.map((item) => this.producerGroupOf(item)));
    return groups.filter((group) => group !== undefined);
  }

  async saveProducerGroup(group: ProducerGroup): Promise<void> {
    const stored = await storedProducerGroup(group, this.secrets?.sealer);
    await this.gateway.put('other', 'catalog.put', {
      TableName: this.tables.state,
      Item: {
        p: S(PRODUCER_GROUPS_PARTITION),
        s: S(group.name),
        d: S(stored.json),
        ...(stored.sealedSecret === undefined ? {} : { ws: S(stored.sealedSecret) }),
      },
    });
  }

  private async producerGroupOf(item: Item | undefined): Promise<ProducerGroup | undefined> {
    const json = str(item, 'd');
    if (json === undefined) return undefined;
    const sealedSecret = str(item, 'ws');
    return producerGroupFromStored({ json, ...(sealedSecret === undefined ? {} : { sealedSecret }) }, this.secrets);
  }

  async deleteProducerGroup(name: string): Promise<boolean> {
    // ReturnValues tells whether this delete removed a record, without a read before it.
    const outcome = await this.gateway.delete('other', 'catalog.delete', {
      TableName: this.tables.state,
      Key: { p: S(PRODUCER_GROUPS_PARTITION), s: S(name) },
      ReturnValues: 'ALL_OLD',
    });
    return outcome.ok && outcome.attributes !== undefined;
  }

  /**
   * The record first: from then on no writer learns the topic (topic-incarnations.ts) and
   * the fence below refuses every writer that learnt it before. A deletion that died half
   * way is finished by the next call.
   */
  async deleteTopic(name: string): Promise<boolean> {
    const key = { p: S(TOPICS_PARTITION), s: S(name) };
    const record = await this.gateway.get('other', 'catalog.get', {
      TableName: this.tables.state,
      Key: key,
      ConsistentRead: true,
    });
    const json = str(record, 'd');
    if (json === undefined && record?.['dp'] === undefined) return false;
    let queueCount = num(record, 'qc') ?? 0;
    let incarnation = num(record, 'ic') ?? 0;
    if (json !== undefined) {
      queueCount = (JSON.parse(json) as Topic).queueCount;
      // Race prevented: two deletions of one topic; only one counts the next incarnation.
      const marked = await this.gateway.update('other', 'catalog.delete', {
        TableName: this.tables.state,
        Key: key,
        UpdateExpression: 'REMOVE d SET dp = :true, qc = :qc ADD ic :one',
        ConditionExpression: 'd = :d',
        ExpressionAttributeValues: { ':true': N(1), ':qc': N(queueCount), ':one': N(1), ':d': S(json) },
        ReturnValues: 'ALL_NEW',
      });
      if (!marked.ok) return this.deleteTopic(name);
      incarnation = num(marked.attributes, 'ic') ?? incarnation + 1;
    }
    for (let queueId = 0; queueId < queueCount; queueId++) {
      await this.fenceQueue(queueKey(name, queueId), incarnation);
    }
    await this.claimCheck?.deletePrefix(this.claimCheck.keyFor(name, ''));
    const lanes = await this.queryPartition(this.tables.state, 'p', topicLanesPartition(name));
    for (const laneItem of lanes) {
      const lane = str(laneItem, 'l') ?? '';
      await this.deleteLaneState(lane, name);
      const { group } = parseLane(lane);
      await this.deleteDeadLetters(group, (letter) => str(letter, 't') === name);
      await this.deleteKeys(this.tables.state, [{ p: S(groupLanesPartition(group)), s: S(`${lane}#${name}`) }]);
    }
    await this.deletePartition(this.tables.state, 'p', topicLanesPartition(name), 's');
    // Done: the record stays (without JSON) to carry the incarnation count.
    await this.gateway.update('other', 'catalog.delete', {
      TableName: this.tables.state,
      Key: key,
      UpdateExpression: 'REMOVE dp, qc',
    });
    return true;
  }

  async deleteGroup(name: string): Promise<boolean> {
    const group = await this.getGroup(name);
    if (!group) return false;
    const lanes = await this.queryPartition(this.tables.state, 'p', groupLanesPartition(name));
    for (const laneItem of lanes) {
      const lane = str(laneItem, 'l') ?? '';
      const topic = str(laneItem, 't') ?? '';
      await this.deleteLaneState(lane, topic);
      await this.deleteKeys(this.tables.state, [{ p: S(topicLanesPartition(topic)), s: S(lane) }]);
    }
    await this.deleteDeadLetters(name, () => true);
    await this.deletePartition(this.tables.state, 'p', groupLanesPartition(name), 's');
    await this.deleteKeys(this.tables.state, [{ p: S(GROUPS_PARTITION), s: S(name) }]);
    return true;
  }

  /**
   * Fences a deleted topic's queue (its head moves to the next incarnation, so no writer of
   * the deleted one reserves again), empties it but for the head, and leaves a floor over
   * every offset reserved so far. A writer that reserved before the fence and writes after
   * it lands under the floor, unseen, also by a re-created topic of the same name (whose
   * offsets continue above the floor); one that reserves after it is refused (appender.ts).
   */
  private async fenceQueue(q: string, incarnation: number): Promise<void> {
    const head = await this.gateway.update('other', 'catalog.delete', fenceQueueHead(this.tables, q, incarnation));
    await this.deletePartition(this.tables.messages, 'q', q, 'o', (item) => item['o']?.N === String(HEAD_OFFSET));
    const reserved = head.ok ? (num(head.attributes, 'n') ?? 0) : 0;
    if (reserved > 0) await this.gateway.put('other', 'catalog.delete', putDeletedTopicFloor(this.tables, q, reserved));
  }

  /** A lane's cursors and lease items on one topic. */
  private async deleteLaneState(lane: string, topic: string): Promise<void> {
    await this.deletePartition(this.tables.state, 'p', cursorPartition(lane, topic), 's');
    await this.deletePartition(this.tables.state, 'p', leasePartition(lane, topic), 's');
  }

  private async deleteDeadLetters(group: string, matches: (letter: Item) => boolean): Promise<void> {
    const letters = await this.queryPartition(this.tables.state, 'p', deadLetterPartition(group));
    await this.deleteKeys(
      this.tables.state,
      letters.filter(matches).map((letter) => ({ p: S(str(letter, 'p') ?? ''), s: S(str(letter, 's') ?? '') })),
    );
  }

  private async getRecord<T>(partition: string, name: string): Promise<T | undefined> {
    const item = await this.gateway.get('other', 'catalog.get', {
      TableName: this.tables.state,
      Key: { p: S(partition), s: S(name) },
      ConsistentRead: true,
    });
    const json = str(item, 'd');
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  /** Records of deleted topics (no JSON, kept for their incarnation count) are left out. */
  private async listRecords<T>(partition: string): Promise<T[]> {
    const items = await this.queryPartition(this.tables.state, 'p', partition);
    return items.flatMap((item) => {
      const json = str(item, 'd');
      return json === undefined ? [] : [JSON.parse(json) as T];
    });
  }

  private async putRecord(partition: string, name: string, value: Topic | Group): Promise<void> {
    await this.gateway.put('other', 'catalog.put', {
      TableName: this.tables.state,
      Item: { p: S(partition), s: S(name), d: S(JSON.stringify(value)) },
    });
  }

  private async queryPartition(table: string, keyName: string, value: string): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.gateway.query('other', 'catalog.query', {
        TableName: table,
        KeyConditionExpression: '#k = :v',
        ExpressionAttributeNames: { '#k': keyName },
        ExpressionAttributeValues: { ':v': S(value) },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      });
      items.push(...page.items);
      startKey = page.lastKey;
    } while (startKey);
    return items;
  }

  /** Deletes every item of one partition (but those `keep` spares), page by page. */
  private async deletePartition(
    table: string,
    keyName: string,
    value: string,
    sortName: string,
    keep: (item: Item) => boolean = () => false,
  ): Promise<void> {
    let startKey: Item | undefined;
    do {
      const page = await this.gateway.query('other', 'catalog.delete', {
        TableName: table,
        KeyConditionExpression: '#k = :v',
        ExpressionAttributeNames: { '#k': keyName, '#s': sortName },
        ExpressionAttributeValues: { ':v': S(value) },
        ProjectionExpression: '#k, #s',
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      });
      await this.deleteKeys(
        table,
        page.items.filter((item) => !keep(item)),
      );
      startKey = page.lastKey;
    } while (startKey);
  }

  private async deleteKeys(table: string, keys: Item[]): Promise<void> {
    if (keys.length === 0) return;
    const requests: WriteRequest[] = keys.map((Key) => ({ DeleteRequest: { Key } }));
    await this.gateway.batchWrite('other', 'catalog.delete', table, requests);
  }
}
