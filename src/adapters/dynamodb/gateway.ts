import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type ConsumedCapacity,
  DeleteItemCommand,
  type DeleteItemCommandInput,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  type QueryCommandInput,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { NimbusError } from '../../core/errors.ts';
import { type CapacityKind, type CapacityMeter, minimumReadUnits } from './capacity.ts';
import {
  backoffDelayMs,
  type CancellationReasonLike,
  cancellationReasons,
  classifyError,
  type RetryPolicy,
  withRetry,
} from './errors.ts';

export type Item = Record<string, AttributeValue>;

/** A conditional write either happened or lost its condition (then `old` is the item it met, if any). */
export type WriteOutcome = { ok: true; attributes?: Item } | { ok: false; old?: Item };

export type TransactOutcome = { ok: true } | { ok: false; reasons: CancellationReasonLike[] };

/**
 * Every DynamoDB request of the adapter goes through here: capacity is requested and
 * recorded under the caller's kind and operation name, throttling is retried, and
 * conditional failures come back as values instead of exceptions.
 */
export class DynamoGateway {
  private readonly client: DynamoDBClient;
  private readonly meter: CapacityMeter;
  private readonly retry: RetryPolicy;

  constructor(client: DynamoDBClient, meter: CapacityMeter, retry: RetryPolicy) {
    this.client = client;
    this.meter = meter;
    this.retry = retry;
  }

  async get(kind: CapacityKind, op: string, input: GetItemCommandInput): Promise<Item | undefined> {
    const out = await this.call(op, () => this.client.send(new GetItemCommand({ ...input, ...TOTAL })));
    this.recordRead(kind, op, out.ConsumedCapacity, input.ConsistentRead === true);
    return out.Item;
  }

  async query(kind: CapacityKind, op: string, input: QueryCommandInput): Promise<{ items: Item[]; lastKey?: Item }> {
    const out = await this.call(op, () => this.client.send(new QueryCommand({ ...input, ...TOTAL })));
    this.recordRead(kind, op, out.ConsumedCapacity, input.ConsistentRead === true);
    return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey };
  }

  put(kind: CapacityKind, op: string, input: PutItemCommandInput): Promise<WriteOutcome> {
    return this.conditional(kind, op, async () => {
      const out = await this.client.send(new PutItemCommand({ ...input, ...TOTAL }));
      return { capacity: out.ConsumedCapacity, attributes: out.Attributes };
    });
  }

  update(kind: CapacityKind, op: string, input: UpdateItemCommandInput): Promise<WriteOutcome> {
    return this.conditional(kind, op, async () => {
      const out = await this.client.send(new UpdateItemCommand({ ...input, ...TOTAL }));
      return { capacity: out.ConsumedCapacity, attributes: out.Attributes };
    });
  }

  delete(kind: CapacityKind, op: string, input: DeleteItemCommandInput): Promise<WriteOutcome> {
    return this.conditional(kind, op, async () => {
      const out = await this.client.send(new DeleteItemCommand({ ...input, ...TOTAL }));
      return { capacity: out.ConsumedCapacity, attributes: out.Attributes };
    });
  }

  /** All-or-nothing write of up to 100 items; the token makes retries of one logical transaction idempotent. */
  async transact(kind: CapacityKind, op: string, items: TransactWriteItem[], token: string): Promise<TransactOutcome> {
    try {
      const out = await this.call(op, () =>
        this.client.send(new TransactWriteItemsCommand({ TransactItems: items, ClientRequestToken: token, ...TOTAL })),
      );
      this.meter.record(kind, op, { wcu: units(out.ConsumedCapacity) });
      return { ok: true };
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons || classifyError(error) !== 'conditional') throw error;
      this.meter.record(kind, op, { wcu: 1, conditionalFailure: true });
      return { ok: false, reasons };
    }
  }

  /** Reads any number of keys of one table (chunks of 100, unprocessed keys retried). Order is not kept. */
  async batchGet(kind: CapacityKind, op: string, table: string, keys: Item[], consistent: boolean): Promise<Item[]> {
    const found: Item[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Item[] = keys.slice(i, i + 100);
      for (let attempt = 0; pending.length > 0; attempt++) {
        const request = { [table]: { Keys: pending, ConsistentRead: consistent } };
        const out = await this.call(op, () =>
          this.client.send(new BatchGetItemCommand({ RequestItems: request, ...TOTAL })),
        );
        this.recordRead(kind, op, out.ConsumedCapacity, consistent);
        found.push(...(out.Responses?.[table] ?? []));
        pending = out.UnprocessedKeys?.[table]?.Keys ?? [];
        if (pending.length > 0) await this.backoffUnprocessed(op, attempt);
      }
    }
    return found;
  }

  /** Unconditional puts/deletes of one table (chunks of 25, unprocessed items retried). */
  async batchWrite(kind: CapacityKind, op: string, table: string, requests: WriteRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += 25) {
      let pending = requests.slice(i, i + 25);
      for (let attempt = 0; pending.length > 0; attempt++) {
        const out = await this.call(op, () =>
          this.client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending }, ...TOTAL })),
        );
        this.meter.record(kind, op, { wcu: units(out.ConsumedCapacity) });
        pending = out.UnprocessedItems?.[table] ?? [];
        if (pending.length > 0) await this.backoffUnprocessed(op, attempt);
      }
    }
  }

  private async conditional(
    kind: CapacityKind,
    op: string,
    send: () => Promise<{ capacity: ConsumedCapacity | undefined; attributes: Item | undefined }>,
  ): Promise<WriteOutcome> {
    try {
      const out = await this.call(op, send);
      this.meter.record(kind, op, { wcu: units(out.capacity) });
      return { ok: true, attributes: out.attributes };
    } catch (error) {
      if (classifyError(error) !== 'conditional') throw error;
      this.meter.record(kind, op, { wcu: 1, conditionalFailure: true });
      const old = (error as { Item?: Item }).Item;
      return { ok: false, old };
    }
  }

  private call<T>(op: string, send: () => Promise<T>): Promise<T> {
    return withRetry(op, this.retry, send);
  }

  private recordRead(
    kind: CapacityKind,
    op: string,
    capacity: ConsumedCapacity | ConsumedCapacity[] | undefined,
    consistent: boolean,
  ): void {
    this.meter.record(kind, op, { rcu: Math.max(units(capacity), minimumReadUnits(consistent)) });
  }

  private async backoffUnprocessed(op: string, attempt: number): Promise<void> {
    if (attempt + 1 >= this.retry.maxAttempts) {
      throw new NimbusError('STORE_THROTTLED', `DynamoDB kept leaving ${op} items unprocessed; try again later.`);
    }
    await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(this.retry, attempt)));
  }
}

const TOTAL = { ReturnConsumedCapacity: 'TOTAL' as const };

function units(capacity: ConsumedCapacity | ConsumedCapacity[] | undefined): number {
  if (!capacity) return 0;
  const list = Array.isArray(capacity) ? capacity : [capacity];
  return list.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
}
