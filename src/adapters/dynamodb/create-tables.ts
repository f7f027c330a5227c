import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { KeyDefinition, TableDefinition } from './table-definitions.ts';

/** Maps one table definition to a CreateTable request (pure; the CDK maps the same data to constructs). */
export function createTableInput(def: TableDefinition): CreateTableCommandInput {
  const attributes = new Map<string, AttributeDefinition>();
  const keyAttributes = (key: KeyDefinition) => {
    attributes.set(key.partitionKey.name, {
      AttributeName: key.partitionKey.name,
      AttributeType: key.partitionKey.type,
    });
    if (key.sortKey) {
      attributes.set(key.sortKey.name, { AttributeName: key.sortKey.name, AttributeType: key.sortKey.type });
    }
  };
  keyAttributes(def);
  for (const index of def.globalSecondaryIndexes) keyAttributes(index);
  return {
    TableName: def.tableName,
    BillingMode: def.billingMode,
    AttributeDefinitions: [...attributes.values()],
    KeySchema: keySchema(def),
    GlobalSecondaryIndexes:
      def.globalSecondaryIndexes.length === 0
        ? undefined
        : def.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index),
            Projection: { ProjectionType: index.projection },
          })),
    StreamSpecification: def.stream ? { StreamEnabled: true, StreamViewType: def.stream } : undefined,
  };
}

function keySchema(key: KeyDefinition) {
  const schema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[] = [
    { AttributeName: key.partitionKey.name, KeyType: 'HASH' },
  ];
  if (key.sortKey) schema.push({ AttributeName: key.sortKey.name, KeyType: 'RANGE' as const });
  return schema;
}

/**
 * Creates the tables that do not exist yet, waits until they are ACTIVE and turns TTL on.
 * Safe to run concurrently from several processes and to run again.
 */
export async function ensureTables(client: DynamoDBClient, defs: readonly TableDefinition[]): Promise<void> {
  await Promise.all(defs.map((def) => ensureTable(client, def)));
}

async function ensureTable(client: DynamoDBClient, def: TableDefinition): Promise<void> {
  if (!(await tableStatus(client, def.tableName))) {
    try {
      await client.send(new CreateTableCommand(createTableInput(def)));
    } catch (error) {
      // Another process created it between our describe and create: fine, wait for it below.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  const deadline = Date.now() + 120_000;
  while ((await tableStatus(client, def.tableName)) !== 'ACTIVE') {
    if (Date.now() > deadline) throw new Error(`Table ${def.tableName} did not become ACTIVE within 120 s.`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: def.tableName }));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (status !== 'ENABLED' && status !== 'ENABLING') {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: def.tableName,
        TimeToLiveSpecification: { AttributeName: def.timeToLiveAttribute, Enabled: true },
      }),
    );
  }
}

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return described.Table?.TableStatus ?? 'CREATING';
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}
