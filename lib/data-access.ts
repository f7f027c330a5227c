import { Operation } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { SECRET_CONTEXT_KEY } from '../src/adapters/dynamodb/secret-sealer.ts';
import { INDEXES, type TableId } from '../src/adapters/dynamodb/table-definitions.ts';
import type { FunctionName } from './function-bundling.ts';
import type { NimbusTables } from './tables.ts';

/** The claim check stores bodies under this key prefix (src/adapters/dynamodb/claim-check.ts). */
export const BODY_KEY_PREFIX = 'bodies/';

export type ItemAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem';
export type BodyAction = 's3:GetObject' | 's3:PutObject' | 's3:DeleteObject';

export interface TableAccess {
  actions: ItemAction[];
  /** Indexes the function queries (each granted by its own ARN). */
  indexes?: string[];
}

export interface DataAccess {
  tables: Partial<Record<TableId, TableAccess>>;
  bodies: BodyAction[];
  /** Listing the body keys of a topic, to delete them with the topic. */
  listBodies?: boolean;
}

const READ: ItemAction[] = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const CONSUMER_STATE: TableAccess = {
  // Cursors, claims, lease items, dead letters; due redeliveries come from the due-leases index.
  actions: [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
  indexes: [INDEXES.dueLeases],
};
const CONSUMER_MESSAGES: TableAccess = {
  // Reads segments; PutItem seals a hole a dead writer left with a conditional tombstone.
  actions: [...READ, 'dynamodb:PutItem'],
};

/** Trace events: one BatchWriteItem per received batch or settle call (src/adapters/dynamodb/trace-records.ts). */
const TRACE_WRITES: TableAccess = { actions: ['dynamodb:BatchWriteItem'] };
const HELD_RELEASE: TableAccess = { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] };

/**
 * What each function may do, following the store calls of its code path
 * (src/adapters/dynamodb): named actions only, never `dynamodb:*` or `index/*`.
 */
export const DATA_ACCESS: Record<FunctionName, DataAccess> = {
  send: {
    tables: {
      // The topic record.
      state: { actions: ['dynamodb:GetItem'] },
      // Offset reservation (UpdateItem), segments (PutItem), the earlier message of a duplicate (reads).
      messages: { actions: [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem'] },
      // Idempotency claims (GetItem, PutItem, UpdateItem in the segment's transaction) and message keys.
      index: {
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
      },
      // Delayed messages: holds (PutItem, also in the hold-id transaction) and releases of those already due.
      held: HELD_RELEASE,
    },
    bodies: ['s3:PutObject'],
  },
  'consume-pull': {
    tables: { state: CONSUMER_STATE, messages: CONSUMER_MESSAGES, index: TRACE_WRITES },
    bodies: ['s3:GetObject'],
  },
  'push-deliver': {
    tables: { state: CONSUMER_STATE, messages: CONSUMER_MESSAGES, index: TRACE_WRITES },
    bodies: ['s3:GetObject'],
  },
  // Groups, to nudge only subscriptions on the topics that got messages (its stream read is the event source's).
  'push-stream': { tables: { state: { actions: ['dynamodb:GetItem'] } }, bodies: [] },
  admin: {
    tables: {
      // Topics, groups (with their cursors, leases and lanes), dead letters and redrive; never due leases.
      state: { actions: CONSUMER_STATE.actions },
      // Queue heads and dead letters' messages; deleting a topic deletes its queues in batches and
      // fences each head (UpdateItem) under a floor (PutItem) against late writers.
      // Message query: a msgId's segment (by-store-ms), the offset for a time (by-queue-time).
      messages: {
        actions: [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
        indexes: [INDEXES.byStoreMs, INDEXES.byQueueTime],
      },
      // Scheduled listings and cancels (the by-topic index, then the records); deleting a topic deletes its held records.
      held: {
        actions: [...READ, 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
        // Poll-mode producers receive their checks from the held-due index (a lease is an UpdateItem).
        indexes: [INDEXES.heldByTopic, INDEXES.heldDue],
      },
      // A cancel finding a release that died mid-way reads the release's idempotency record;
      // key queries and trace reads (Query), trace writes of cancels and redrives (BatchWriteItem).
      index: { actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'] },
    },
    bodies: ['s3:GetObject', 's3:DeleteObject'],
    listBodies: true,
  },
  'timer-release': {
    tables: {
      // The topic of each release (a message of a deleted topic is cancelled, not delivered).
      state: { actions: ['dynamodb:GetItem'] },
      // Due held messages (the held-due index, then the records), their state transitions.
      held: { actions: [...READ, 'dynamodb:UpdateItem'], indexes: [INDEXES.heldDue] },
      // The release's append: offset reservation, segment put, the first append of a repeated release (reads).
      messages: { actions: [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem'] },
      // The release's idempotency claim (completed in the segment's transaction) and message keys.
      index: {
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
      },
    },
    // Delayed bodies are at most 64 KiB, far below the claim-check threshold.
    bodies: [],
  },
  'transaction-commit': {
    tables: {
      // The topic of the release.
      state: { actions: ['dynamodb:GetItem'] },
      // The half message's record and its state transitions (commit is a release, rollback a cancel).
      held: { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
      // The commit's append: offset reservation, segment put, the first append of a repeated commit (reads).
      messages: { actions: [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem'] },
      // The release's idempotency claim and message keys; a rollback finding a release mid-way reads its claim.
      index: {
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
      },
    },
    // Half-message bodies are at most 64 KiB, far below the claim-check threshold.
    bodies: [],
  },
  'transaction-check-back': {
    tables: {
      // Producer groups (who to ask, how often) and the topic of a committed release.
      state: { actions: ['dynamodb:GetItem'] },
      // Due half messages (the held-due index, then the records), check leases, commits and rollbacks.
      held: { actions: [...READ, 'dynamodb:UpdateItem'], indexes: [INDEXES.heldDue] },
      // A checker's COMMIT appends, like a commit.
      messages: { actions: [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem'] },
      index: {
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
      },
    },
    bodies: [],
  },
  'retention-sweep': {
    tables: {
      // Every queue (the queues index), its expired segments, and the floor and remainder it leaves.
      messages: {
        actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
        indexes: [INDEXES.queues],
      },
      // Key records of swept messages (batch) and their idempotency records (conditional delete).
      index: { actions: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'] },
    },
    bodies: ['s3:DeleteObject'],
  },
  'lease-expiry': {
    tables: {
      // Groups, due lease items (the due-leases index), the dead-letter transaction, empty lease items.
      state: {
        actions: [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        indexes: [INDEXES.dueLeases],
      },
      // The dead-lettered messages (still there, or expired: then the lease is dropped).
      messages: { actions: READ },
      // DEAD_LETTERED trace events of what it dead-letters.
      index: TRACE_WRITES,
    },
    // Reading a message loads its body, also from the claim check.
    bodies: ['s3:GetObject'],
  },
  'backlog-metrics': {
    tables: {
      // Groups, topics and cursors.
      state: { actions: ['dynamodb:GetItem', 'dynamodb:Query'] },
      // Queue heads.
      messages: { actions: ['dynamodb:BatchGetItem', 'dynamodb:Query'] },
    },
    bodies: [],
  },
  // Serves the console's static files: the page reads data through the IAM-signed API.
  console: { tables: {}, bodies: [] },
};

/**
 * The DynamoDB operations a table serves: every action some function is granted on it,
 * plus TransactWriteItems (appends, claims and dead-lettering write in transactions, which
 * IAM checks per item action). The table alarms watch exactly these.
 */
export function tableOperations(id: TableId): Operation[] {
  const actions = new Set<string>();
  for (const access of Object.values(DATA_ACCESS)) {
    for (const action of access.tables[id]?.actions ?? []) actions.add(action.replace('dynamodb:', ''));
  }
  const byName = new Map<string, Operation>(Object.values(Operation).map((operation) => [operation, operation]));
  return [...actions, 'TransactWriteItems'].map((action) => {
    const operation = byName.get(action);
    if (!operation) throw new Error(`No DynamoDB metric operation for ${action}`);
    return operation;
  });
}

/** Grants one function its data access; returns whether it touches body objects. */
export function grantDataAccess(
  name: FunctionName,
  grantee: IGrantable,
  tables: NimbusTables,
  bucket: IBucket,
): { bodyAccess: boolean } {
  const access = DATA_ACCESS[name];
  const principal = grantee.grantPrincipal;
  for (const [id, table] of Object.entries(access.tables) as [TableId, TableAccess][]) {
    const tableArn = tables.tables[id].tableArn;
    principal.addToPrincipalPolicy(new PolicyStatement({ actions: table.actions, resources: [tableArn] }));
    for (const index of table.indexes ?? []) {
      principal.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${tableArn}/index/${index}`] }),
      );
    }
  }
  if (access.bodies.length > 0) {
    principal.addToPrincipalPolicy(
      new PolicyStatement({ actions: access.bodies, resources: [bucket.arnForObjects(`${BODY_KEY_PREFIX}*`)] }),
    );
  }
  if (access.listBodies) {
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${BODY_KEY_PREFIX}*`] } },
      }),
    );
  }
  return { bodyAccess: access.bodies.length > 0 };
}

export type SecretKeyAction = 'kms:Encrypt' | 'kms:Decrypt';

/**
 * Who uses the key that seals producer groups' webhook secrets (src/adapters/kms): admin
 * seals them when a group is registered, transaction-check-back opens them to sign webhook
 * calls. No other function gets the key or its environment variable.
 */
export const SECRET_KEY_ACCESS: Partial<Record<FunctionName, SecretKeyAction[]>> = {
  admin: ['kms:Encrypt'],
  'transaction-check-back': ['kms:Decrypt'],
};

/**
 * Grants one function its use of the secret key, if any; returns whether it has one. The
 * condition allows only calls that bind the ciphertext to a producer group, so the grant
 * cannot encrypt or decrypt anything else under this key.
 */
export function grantSecretKeyAccess(name: FunctionName, grantee: IGrantable, key: IKey): boolean {
  const actions = SECRET_KEY_ACCESS[name];
  if (!actions) return false;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions,
      resources: [key.keyArn],
      conditions: { Null: { [`kms:EncryptionContext:${SECRET_CONTEXT_KEY}`]: 'false' } },
    }),
  );
  return true;
}
