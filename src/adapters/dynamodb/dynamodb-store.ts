import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DeadLetter, Group, MessageRef, MessageToAppend, StoredMessage, Topic } from '../../core/model.ts';
import type {
  AppendResult,
  BrokerStore,
  CancelOutcome,
  Claim,
  DeadLetterFilter,
  DuePosition,
  HeldMessage,
  HeldPosition,
  HoldKind,
  HoldResult,
  KeyPosition,
  Lease,
  LeaseCounts,
  LeaseKey,
  LeaseUpdate,
  MessageToHold,
  NewLease,
  QueueOffsets,
  QueueRead,
  ReleaseOutcome,
  TraceRecord,
  TraceSubject,
} from '../../core/ports/store.ts';
import type { ProducerGroup } from '../../core/producer-group.ts';
import { Appender } from './appender.ts';
import { type CapacityCounter, CapacityMeter } from './capacity.ts';
import { CatalogRecords } from './catalog.ts';
import { ClaimCheck } from './claim-check.ts';
import { createDynamoClient, installThrottleHook } from './client.ts';
import { Consumption } from './consumption.ts';
import { ensureTables } from './create-tables.ts';
import { DeadLetterRecords } from './dead-letters.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './errors.ts';
import { DynamoGateway } from './gateway.ts';
import { type DueCursor, type DuePage, type DueWindow, listDueHeldPage } from './held-due-pages.ts';
import { HeldMessages } from './held-messages.ts';
import { LaneResets } from './lane-resets.ts';
import { LockRecords } from './locks.ts';
import { MessageQueries } from './message-queries.ts';
import {
  DEFAULT_HOLE_TIMEOUT_MS,
  DEFAULT_LARGE_BODY_BYTES,
  type DynamoDbStoreHooks,
  type DynamoDbStoreOptions,
} from './options.ts';
import { readQueueHeads } from './queue-heads.ts';
import { QueueReader } from './queue-reader.ts';
import type { ProducerSecretOptions } from './secret-sealer.ts';
import { Sweeper } from './sweeper.ts';
import { DEFAULT_TABLE_PREFIX, type TableNames, tableDefinitions, tableNames } from './table-definitions.ts';
import { TraceRecords } from './trace-records.ts';

/**
 * Opens the DynamoDB store: the storage port on DynamoDB, with consumed capacity counted
 * per path in `store.capacity`. With an `endpoint` (DynamoDB Local) and no credentials in
 * the environment, dummy credentials (and region us-east-1 unless given) are used.
 * @example
 * const store = await openDynamoDbStore({ endpoint: 'http://127.0.0.1:8000', tablePrefix: 'dev', createTables: true });
 * const broker = createBroker({ store, clock: systemClock, ids: randomIds(), notifier: new InProcessNotifier(), timers: systemTimers });
 */
export async function openDynamoDbStore(options: DynamoDbStoreOptions = {}): Promise<DynamoDbStore> {
  const prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  const region = options.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1';
  const client = options.client ?? createDynamoClient({ endpoint: options.endpoint, region });
  if (options.createTables) await ensureTables(client, Object.values(tableDefinitions(prefix)));
  if (options.hooks?.throttle) installThrottleHook(client, options.hooks.throttle);
  return new DynamoDbStore({
    client,
    ownsClient: !options.client,
    tables: tableNames(prefix),
    claimCheck: options.s3 ? new ClaimCheck({ region, ...options.s3 }) : undefined,
    hooks: options.hooks,
    now: options.now,
    holeTimeoutMs: options.holeTimeoutMs,
    largeBodyBytes: options.largeBodyBytes,
    retry: options.retry,
    secrets: options.secrets,
  });
}

export interface DynamoDbStoreParts {
  client: DynamoDBClient;
  /** Whether close() destroys the client (it was made by openDynamoDbStore). */
  ownsClient: boolean;
  tables: TableNames;
  claimCheck?: ClaimCheck;
  hooks?: DynamoDbStoreHooks;
  now?: () => number;
  holeTimeoutMs?: number;
  largeBodyBytes?: number;
  retry?: Partial<RetryPolicy>;
  secrets?: ProducerSecretOptions;
}

/**
 * The storage port on DynamoDB (layout and capacity: README.md in this folder). Each area
 * lives in its own class; this one only routes the port's methods to them.
 */
export class DynamoDbStore implements BrokerStore {
  /** Consumed WCU/RCU per path (send, receive, ack, other) since the last reset. */
  readonly capacity: CapacityCounter;
  readonly tables: TableNames;

  private readonly parts: DynamoDbStoreParts;
  private readonly catalog: CatalogRecords;
  private readonly appender: Appender;
  private readonly reader: QueueReader;
  private readonly consumption: Consumption;
  private readonly deadLetters: DeadLetterRecords;
  private readonly sweeper: Sweeper;
  private readonly locks: LockRecords;
  private readonly gateway: DynamoGateway;
  private readonly held: HeldMessages;
  private readonly queries: MessageQueries;
  private readonly traces: TraceRecords;
  private readonly resets: LaneResets;

  constructor(parts: DynamoDbStoreParts) {
    this.parts = parts;
    this.tables = parts.tables;
    const meter = new CapacityMeter();
    this.capacity = meter;
    const gateway = new DynamoGateway(parts.client, meter, { ...DEFAULT_RETRY, ...parts.retry });
    this.gateway = gateway;
    const hooks = parts.hooks ?? {};
    this.catalog = new CatalogRecords(gateway, parts.tables, parts.claimCheck, parts.secrets);
    this.reader = new QueueReader(
      gateway,
      parts.tables,
      parts.claimCheck,
      parts.holeTimeoutMs ?? DEFAULT_HOLE_TIMEOUT_MS,
      hooks,
    );
    this.appender = new Appender(gateway, parts.tables, this.reader, parts.claimCheck, hooks, {
      largeBodyBytes: parts.largeBodyBytes ?? DEFAULT_LARGE_BODY_BYTES,
      now: parts.now ?? Date.now,
    });
    this.consumption = new Consumption(gateway, parts.tables);
    this.deadLetters = new DeadLetterRecords(gateway, parts.tables);
    this.sweeper = new Sweeper(gateway, parts.tables, parts.claimCheck, hooks);
    this.locks = new LockRecords(gateway, parts.tables);
    this.held = new HeldMessages(gateway, parts.tables, this.appender, hooks);
    this.queries = new MessageQueries(gateway, parts.tables, this.reader);
    this.traces = new TraceRecords(gateway, parts.tables);
    this.resets = new LaneResets(gateway, parts.tables, this.consumption, hooks);
  }

  getTopic(name: string): Promise<Topic | undefined> {
    return this.catalog.getTopic(name);
  }
  listTopics(): Promise<Topic[]> {
    return this.catalog.listTopics();
  }
  saveTopic(topic: Topic): Promise<void> {
    return this.catalog.saveTopic(topic);
  }
  async deleteTopic(name: string): Promise<boolean> {
    // Held records first: once the topic record is gone, nothing would look for them.
    if (await this.catalog.getTopic(name)) await this.held.deleteTopic(name);
    return this.catalog.deleteTopic(name);
  }
  getGroup(name: string): Promise<Group | undefined> {
    return this.catalog.getGroup(name);
  }
  listGroups(): Promise<Group[]> {
    return this.catalog.listGroups();
  }
  saveGroup(group: Group): Promise<void> {
    return this.catalog.saveGroup(group);
  }
  deleteGroup(name: string): Promise<boolean> {
    return this.catalog.deleteGroup(name);
  }
  getProducerGroup(name: string): Promise<ProducerGroup | undefined> {
    return this.catalog.getProducerGroup(name);
  }
  listProducerGroups(): Promise<ProducerGroup[]> {
    return this.catalog.listProducerGroups();
  }
  saveProducerGroup(group: ProducerGroup): Promise<void> {
    return this.catalog.saveProducerGroup(group);
  }
  deleteProducerGroup(name: string): Promise<boolean> {
    return this.catalog.deleteProducerGroup(name);
  }

  append(messages: readonly MessageToAppend[]): Promise<AppendResult[]> {
    return this.appender.append(messages);
  }
  readQueue(topic: string, queueId: number, fromOffset: number, limit: number, now: number): Promise<QueueRead> {
    return this.reader.readQueue(topic, queueId, fromOffset, limit, now);
  }
  getMessages(refs: readonly MessageRef[], now: number): Promise<(StoredMessage | undefined)[]> {
    return this.reader.getMessages(refs, now, 'receive');
  }
  queueOffsets(topic: string, queueCount: number): Promise<QueueOffsets[]> {
    return this.reader.queueOffsets(topic, queueCount);
  }

  queueHeads(topic: string, queueCount: number): Promise<number[]> {
    return readQueueHeads(this.gateway, this.tables, topic, queueCount);
  }

  // Query, trace, offset reset and lanes: message-queries.ts, trace-records.ts, lane-resets.ts.
  findMessage(msgId: string, now: number): Promise<StoredMessage | undefined> {
    return this.queries.findMessage(msgId, now);
  }
  findByKey(topic: string, key: string, limit: number, now: number, after?: KeyPosition): Promise<StoredMessage[]> {
    return limit > 0 ? this.queries.findByKey(topic, key, limit, now, after) : Promise.resolve([]);
  }
  offsetForTime(topic: string, queueId: number, timestamp: number): Promise<number> {
    return this.queries.offsetForTime(topic, queueId, timestamp);
  }
  appendTrace(records: readonly TraceRecord[]): Promise<void> {
    return this.traces.appendTrace(records);
  }
  listTrace(subjects: readonly TraceSubject[], now: number): Promise<TraceRecord[]> {
    return this.traces.listTrace(subjects, now);
  }
  resetCursors(consumer: string, topic: string, cursors: ReadonlyMap<number, number>): Promise<void> {
    return this.resets.resetCursors(consumer, topic, cursors);
  }
  countLeases(consumer: string, topic: string): Promise<Map<number, LeaseCounts>> {
    return this.resets.countLeases(consumer, topic);
  }
  listLanes(group: string, topic: string): Promise<string[]> {
    return this.resets.listLanes(group, topic);
  }

  getCursors(consumer: string, topic: string): Promise<Map<number, number>> {
    return this.consumption.getCursors(consumer, topic);
  }
  initCursors(consumer: string, topic: string, cursors: ReadonlyMap<number, number>): Promise<void> {
    return this.consumption.initCursors(consumer, topic, cursors);
  }
  claim(claim: Claim): Promise<Lease[] | false> {
    return this.consumption.claim(claim);
  }
  dueLeases(consumer: string, now: number, limit: number): Promise<Lease[]> {
    return this.consumption.dueLeases(consumer, now, limit);
  }
  nextLeaseVisibleAt(consumer: string): Promise<number | undefined> {
    return this.consumption.nextLeaseVisibleAt(consumer);
  }
  queueLeases(consumer: string, topic: string, queueId: number): Promise<Lease[]> {
    return this.consumption.queueLeases(consumer, topic, queueId);
  }

  getLease(key: LeaseKey): Promise<Lease | undefined> {
    return this.consumption.getLease(key);
  }

  updateLease(key: LeaseKey, expectedToken: string, update: LeaseUpdate): Promise<boolean> {
    return this.consumption.updateLease(key, expectedToken, update);
  }
  deleteLeases(items: readonly { key: LeaseKey; token: string }[]): Promise<boolean[]> {
    return this.consumption.deleteLeases(items);
  }

  deadLetter(key: LeaseKey, expectedToken: string, entry: DeadLetter): Promise<boolean> {
    return this.deadLetters.deadLetter(key, expectedToken, entry);
  }
  listDeadLetters(group: string, limit: number, filter?: DeadLetterFilter): Promise<DeadLetter[]> {
    return this.deadLetters.listDeadLetters(group, limit, filter);
  }
  async redrive(entry: DeadLetter, lease: NewLease): Promise<Lease | false> {
    await this.consumption.registerLane(lease.consumer, lease.topic);
    return this.deadLetters.redrive(entry, lease);
  }

  async sweepExpired(now: number, limit: number): Promise<number> {
    return this.sweeper.sweep(now, limit);
  }

  // Held messages (delayed now, half messages next): held-messages.ts.
  hold(messages: readonly MessageToHold[]): Promise<HoldResult[]> {
    return this.held.hold(messages);
  }
  getHeld(topic: string, msgId: string, now: number): Promise<HeldMessage | undefined> {
    return this.held.getHeld(topic, msgId, now);
  }
  listHeld(topic: string, kind: HoldKind, now: number, limit: number, after?: HeldPosition): Promise<HeldMessage[]> {
    return this.held.listHeld(topic, kind, now, limit, after);
  }
  listDueHeld(kind: HoldKind, now: number, limit: number, after?: DuePosition): Promise<HeldMessage[]> {
    return this.held.listDueHeld(kind, now, limit, after);
  }
  nextHeldDueAt(kind: HoldKind, now: number): Promise<number | undefined> {
    return this.held.nextHeldDueAt(kind, now);
  }
  /** The timer-release hand-off's listing (not a port method): held-due-pages.ts. */
  listDueHeldPage(kind: HoldKind, window: DueWindow, limit: number, cursor?: DueCursor): Promise<DuePage> {
    return listDueHeldPage(this.gateway, this.tables, kind, window, limit, cursor);
  }
  release(topic: string, msgId: string, now: number): Promise<ReleaseOutcome> {
    return this.held.release(topic, msgId, now);
  }
  cancelHeld(topic: string, msgId: string, reason: string, now: number): Promise<CancelOutcome> {
    return this.held.cancelHeld(topic, msgId, reason, now);
  }
  rescheduleHeld(topic: string, msgId: string, expectedChecks: number, dueAt: number): Promise<boolean> {
    return this.held.rescheduleHeld(topic, msgId, expectedChecks, dueAt, (this.parts.now ?? Date.now)());
  }

  acquireLock(name: string, owner: string, expiresAt: number, now: number): Promise<boolean> {
    return this.locks.acquireLock(name, owner, expiresAt, now);
  }
  releaseLock(name: string, owner: string): Promise<void> {
    return this.locks.releaseLock(name, owner);
  }

  async close(): Promise<void> {
    this.parts.claimCheck?.close();
    if (this.parts.ownsClient) this.parts.client.destroy();
  }
}
