import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DATA_ACCESS, type DataAccess } from '../../lib/data-access.ts';
import type { FunctionName } from '../../lib/function-bundling.ts';
import { type TableId, tableDefinitions } from '../../src/adapters/dynamodb/table-definitions.ts';

/**
 * Records every DynamoDB and S3 request the functions make while the handler tests run,
 * as the IAM action and resource it needs, attributed to the function whose invocation
 * made it. Lambda would refuse a call its role does not allow; DynamoDB Local and the S3
 * emulator do not check, so `uncoveredCalls` does what IAM would.
 */
export interface StoreCall {
  fn: FunctionName;
  /** An IAM action, e.g. `dynamodb:PutItem`, `s3:ListBucket`. */
  action: string;
  /** DynamoDB: table id (`messages`, ...); S3: `bodies` or `bucket`. */
  resource: string;
  index?: string;
}

/** The DynamoDB requests the recorder maps to IAM actions (transaction parts by their item action). */
export const RECORDED_REQUEST_TYPES = [
  'GetItem',
  'BatchGetItem',
  'Query',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
] as const;

/** S3 requests of the claim check, by the IAM action and resource (`bodies/*` objects or the bucket) they need. */
export const S3_ACTIONS: Record<string, [string, 'bodies' | 'bucket']> = {
  PutObject: ['s3:PutObject', 'bodies'],
  GetObject: ['s3:GetObject', 'bodies'],
  DeleteObjects: ['s3:DeleteObject', 'bodies'],
  ListObjectsV2: ['s3:ListBucket', 'bucket'],
};

const invocation = new AsyncLocalStorage<FunctionName>();
const calls: StoreCall[] = [];
let installed = false;

/** Runs a function invocation so that the store calls it makes (also after it returns) are attributed to it. */
export function asFunction<T>(fn: FunctionName, run: () => T): T {
  return invocation.run(fn, run);
}

export function recordedCalls(): readonly StoreCall[] {
  return calls;
}

type Command = { constructor: { name: string }; input: Record<string, unknown> };

/** Installs the recorder on the SDK clients (once per test file; calls still go through unchanged). */
export function recordStoreCalls(tablePrefix: string): void {
  if (installed) throw new Error('recordStoreCalls: one environment per test file');
  installed = true;
  const tableIds = new Map<string, TableId>(
    Object.values(tableDefinitions(tablePrefix)).map((def) => [def.tableName, def.id]),
  );
  const tableId = (name: unknown): string => tableIds.get(String(name)) ?? `unknown table ${String(name)}`;
  const record = (action: string, resource: string, index?: string) => {
    const fn = invocation.getStore();
    if (fn) calls.push({ fn, action, resource, ...(index ? { index } : {}) });
  };
  const dynamoSend = DynamoDBClient.prototype.send;
  DynamoDBClient.prototype.send = function (this: DynamoDBClient, command: Command, ...rest: unknown[]) {
    const name = command.constructor.name.replace(/Command$/, '');
    const input = command.input;
    if (name === 'TransactWriteItems') {
      for (const item of input['TransactItems'] as Record<string, { TableName: string }>[]) {
        const [kind, request] = Object.entries(item)[0] as [string, { TableName: string }];
        const action =
          { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' }[kind] ??
          `unmapped transaction part ${kind}`;
        record(`dynamodb:${action}`, tableId(request.TableName));
      }
    } else if (name === 'BatchGetItem' || name === 'BatchWriteItem') {
      for (const table of Object.keys(input['RequestItems'] as object)) record(`dynamodb:${name}`, tableId(table));
    } else if ((RECORDED_REQUEST_TYPES as readonly string[]).includes(name)) {
      record(`dynamodb:${name}`, tableId(input['TableName']), input['IndexName'] as string | undefined);
    } else {
      record(`dynamodb:${name} (unmapped request type)`, tableId(input['TableName']));
    }
    return (dynamoSend as (...args: unknown[]) => unknown).call(this, command, ...rest);
  } as typeof dynamoSend;
  const s3Send = S3Client.prototype.send;
  S3Client.prototype.send = function (this: S3Client, command: Command, ...rest: unknown[]) {
    const name = command.constructor.name.replace(/Command$/, '');
    const [action, resource] = S3_ACTIONS[name] ?? [`s3:${name} (unmapped request type)`, 'bucket'];
    record(action, resource);
    return (s3Send as (...args: unknown[]) => unknown).call(this, command, ...rest);
  } as typeof s3Send;
}

/** Whether a function's grants (lib/data-access.ts) allow one call. */
export function allows(access: DataAccess, call: StoreCall): boolean {
  if (call.resource === 'bodies') return (access.bodies as string[]).includes(call.action);
  if (call.resource === 'bucket') return call.action === 's3:ListBucket' && access.listBodies === true;
  const table = access.tables[call.resource as TableId];
  if (!table) return false;
  if (call.index) return call.action === 'dynamodb:Query' && (table.indexes ?? []).includes(call.index);
  return (table.actions as string[]).includes(call.action);
}

/** Distinct recorded calls that the calling function's policy would refuse. */
export function uncoveredCalls(): string[] {
  const denied = calls
    .filter((call) => !allows(DATA_ACCESS[call.fn], call))
    .map((call) => `${call.fn}: ${call.action} on ${call.resource}${call.index ? `/index/${call.index}` : ''}`);
  return [...new Set(denied)].sort();
}
