import type { StoredMessage } from '../../core/model.ts';
import type { KeyPosition } from '../../core/ports/store.ts';
import { N, num, S, str } from './attributes.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { keyIndexPartition, keyIndexSortKey, parseQueueKey, queueKey } from './keys.ts';
import { parseQueueItem, walkQueue } from './queue-items.ts';
import type { QueueReader } from './queue-reader.ts';
import { INDEXES, type TableNames } from './table-definitions.ts';

/** Messages read at once while looking for the first one stored at or after a time. */
const TIME_SCAN_PAGE = 128;

/**
 * Message query on DynamoDB: by msgId (its first 12 hex digits are its store time, so the
 * `by-store-ms` index finds its segment), by key (the index table's key entries) and the
 * offset for a time (the sparse `by-queue-time` markers, then a short forward read).
 * Reads only; eventually consistent where a query may lag a send by a moment.
 */
export class MessageQueries {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly reader: QueueReader;

  constructor(gateway: DynamoGateway, tables: TableNames, reader: QueueReader) {
    this.gateway = gateway;
    this.tables = tables;
    this.reader = reader;
  }

  async findMessage(msgId: string, now: number): Promise<StoredMessage | undefined> {
    const storeTime = Number.parseInt(msgId.slice(0, 12), 16);
    if (!/^[0-9A-Fa-f]{12}/.test(msgId) || !Number.isSafeInteger(storeTime)) return undefined;
    const segments = await this.gateway.query('other', 'query.byId', {
      TableName: this.tables.messages,
      IndexName: INDEXES.byStoreMs,
      KeyConditionExpression: 'st = :st',
      ExpressionAttributeValues: { ':st': N(storeTime) },
    });
    for (const key of segments.items) {
      const item = await this.gateway.get('other', 'query.byId', {
        TableName: this.tables.messages,
        Key: { q: key['q'] as Item[string], o: key['o'] as Item[string] },
      });
      if (!item) continue;
      const parsed = parseQueueItem(item);
      if (parsed.kind !== 'segment') continue;
      const { topic, queueId } = parseQueueKey(str(item, 'q') ?? '');
      const walk = walkQueue([parsed], parsed.offset, parsed.count, now, topic, queueId);
      const hit = walk.found.find((found) => found.message.msgId === msgId);
      if (hit) return (await this.reader.loadBodies([hit]))[0];
    }
    return undefined;
  }

  async findByKey(
    topic: string,
    key: string,
    limit: number,
    now: number,
    after?: KeyPosition,
  ): Promise<StoredMessage[]> {
    const out: StoredMessage[] = [];
    // Sort keys start with a digit: a space sorts before every one of them.
    const from = after ? keyIndexSortKey(after.storeTimestamp, after.msgId) : ' ';
    let startKey: Item | undefined;
    do {
      const page = await this.gateway.query('other', 'query.byKey', {
        TableName: this.tables.index,
        KeyConditionExpression: 'p = :p AND s > :after',
        ExpressionAttributeValues: { ':p': S(keyIndexPartition(topic, key)), ':after': S(from) },
        Limit: limit - out.length,
        ExclusiveStartKey: startKey,
      });
      const live = page.items.filter((item) => (num(item, 'e') ?? 0) > now);
      const refs = live.map((item) => ({ topic, queueId: num(item, 'qi') ?? 0, queueOffset: num(item, 'o') ?? 0 }));
      const messages = await this.reader.getMessages(refs, now, 'other');
      for (const message of messages) if (message) out.push(message);
      startKey = page.lastKey;
    } while (startKey && out.length < limit);
    return out;
  }

  async offsetForTime(topic: string, queueId: number, timestamp: number): Promise<number> {
    // Strictly before the time: messages stored in the same millisecond as a marker may sit
    // below it (markers go by offset), and the first of them is the answer.
    const marker = await this.gateway.query('other', 'query.offsetForTime', {
      TableName: this.tables.messages,
      IndexName: INDEXES.byQueueTime,
      KeyConditionExpression: 'q = :q AND ts < :ts',
      ExpressionAttributeValues: { ':q': S(queueKey(topic, queueId)), ':ts': N(timestamp) },
      ScanIndexForward: false,
      Limit: 1,
    });
    let from = num(marker.items[0], 'o') ?? 0;
    for (;;) {
      // Expired messages are skipped: a position among them means the same as the first live one.
      const read = await this.reader.readQueue(topic, queueId, from, TIME_SCAN_PAGE, Date.now());
      const first = read.messages.find((message) => message.storeTimestamp >= timestamp);
      if (first) return first.queueOffset;
      if (read.messages.length === 0 || read.nextOffset <= from) return read.nextOffset;
      from = read.nextOffset;
    }
  }
}
