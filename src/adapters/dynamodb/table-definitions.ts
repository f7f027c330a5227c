/**
 * The DynamoDB schema of Nimbus MQ as plain data. The adapter's table setup (DynamoDB
 * Local in tests, `createTables: true`) and the CDK stacks both read these definitions,
 * so local and cloud schemas cannot drift. See README.md in this folder for the layout.
 */

export type KeyAttributeType = 'S' | 'N' | 'B';

export interface KeyDefinition {
  partitionKey: { name: string; type: KeyAttributeType };
  sortKey?: { name: string; type: KeyAttributeType };
}

export interface IndexDefinition extends KeyDefinition {
  indexName: string;
  /** KEYS_ONLY everywhere: an index write then costs ~1 WCU whatever the item size. */
  projection: 'KEYS_ONLY' | 'ALL';
}

export interface TableDefinition extends KeyDefinition {
  /** Logical name; the physical name is `<prefix>-<id>`. */
  id: TableId;
  tableName: string;
  globalSecondaryIndexes: IndexDefinition[];
  /** Epoch-seconds attribute DynamoDB TTL deletes by (lazily: readers also filter). */
  timeToLiveAttribute: string;
  stream?: 'NEW_IMAGE' | 'KEYS_ONLY' | 'NEW_AND_OLD_IMAGES';
  billingMode: 'PAY_PER_REQUEST';
}

export type TableId = 'messages' | 'state' | 'index' | 'held';

export const DEFAULT_TABLE_PREFIX = 'nimbus';

/** Index names, shared by the adapter's queries and the CDK stacks. */
export const INDEXES = {
  /** messages: segments by exact store time (ms), to find a message by its time-prefixed msgId. */
  byStoreMs: 'by-store-ms',
  /** messages: sparse per-queue time markers (one per 128 offsets of a queue) for reset-by-time and time ranges. */
  byQueueTime: 'by-queue-time',
  /** messages: every queue (its head item), so the retention sweep reaches queues of any topic. */
  queues: 'queues',
  /** state: lease items of a lane by their earliest `visibleAt`, to find due redeliveries. */
  dueLeases: 'due-leases',
  /** held: HELD messages of one kind and shard by `dueAt` (time buckets are ranges of it). */
  heldDue: 'held-due',
  /** held: every record of a topic (shard), pending ones by `dueAt`, for listings and topic deletion. */
  heldByTopic: 'held-by-topic',
} as const;

/** The tables for one deployment (or one test), named from a prefix. */
export function tableDefinitions(prefix: string = DEFAULT_TABLE_PREFIX): Record<TableId, TableDefinition> {
  return {
    messages: {
      id: 'messages',
      tableName: `${prefix}-messages`,
      // One partition per queue (`topic#queueId`); the sort key is the first offset of a segment.
      partitionKey: { name: 'q', type: 'S' },
      sortKey: { name: 'o', type: 'N' },
      globalSecondaryIndexes: [
        {
          indexName: INDEXES.byStoreMs,
          partitionKey: { name: 'st', type: 'N' },
          projection: 'KEYS_ONLY',
        },
        {
          indexName: INDEXES.byQueueTime,
          partitionKey: { name: 'q', type: 'S' },
          sortKey: { name: 'ts', type: 'N' },
          projection: 'KEYS_ONLY',
        },
        {
          indexName: INDEXES.queues,
          partitionKey: { name: 'hk', type: 'S' },
          sortKey: { name: 'q', type: 'S' },
          projection: 'KEYS_ONLY',
        },
      ],
      timeToLiveAttribute: 'ttl',
      // Push delivery and trace (next issues) read new segments from the stream.
      stream: 'NEW_IMAGE',
      billingMode: 'PAY_PER_REQUEST',
    },
    state: {
      id: 'state',
      tableName: `${prefix}-state`,
      partitionKey: { name: 'p', type: 'S' },
      sortKey: { name: 's', type: 'S' },
      globalSecondaryIndexes: [
        {
          indexName: INDEXES.dueLeases,
          partitionKey: { name: 'c', type: 'S' },
          sortKey: { name: 'mv', type: 'N' },
          projection: 'KEYS_ONLY',
        },
      ],
      timeToLiveAttribute: 'ttl',
      billingMode: 'PAY_PER_REQUEST',
    },
    index: {
      id: 'index',
      tableName: `${prefix}-index`,
      // Message keys (`K#topic#key`) and idempotency records (`D#topic#messageId`).
      partitionKey: { name: 'p', type: 'S' },
      sortKey: { name: 's', type: 'S' },
      globalSecondaryIndexes: [],
      timeToLiveAttribute: 'ttl',
      billingMode: 'PAY_PER_REQUEST',
    },
    held: {
      id: 'held',
      tableName: `${prefix}-held`,
      // Held (delayed, half) messages: one partition per message (`M#topic#msgId`), plus hold idempotency records.
      partitionKey: { name: 'p', type: 'S' },
      sortKey: { name: 's', type: 'S' },
      globalSecondaryIndexes: [
        {
          indexName: INDEXES.heldDue,
          partitionKey: { name: 'hk', type: 'S' },
          sortKey: { name: 'hd', type: 'N' },
          projection: 'KEYS_ONLY',
        },
        {
          indexName: INDEXES.heldByTopic,
          partitionKey: { name: 'ht', type: 'S' },
          sortKey: { name: 'hs', type: 'S' },
          projection: 'KEYS_ONLY',
        },
      ],
      timeToLiveAttribute: 'ttl',
      billingMode: 'PAY_PER_REQUEST',
    },
  };
}

/** The physical table names only. */
export type TableNames = Record<TableId, string>;

export function tableNames(prefix: string = DEFAULT_TABLE_PREFIX): TableNames {
  const defs = tableDefinitions(prefix);
  return {
    messages: defs.messages.tableName,
    state: defs.state.tableName,
    index: defs.index.tableName,
    held: defs.held.tableName,
  };
}
