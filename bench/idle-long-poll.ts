import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDbStore, ensureTables, tableDefinitions } from '../src/adapters/dynamodb/index.ts';
import { openLambdaBroker } from '../src/lambda/broker-from-env.ts';
import { startDynamoDbLocal } from '../test/support/dynamodb-local.ts';
import { printTable } from './report.ts';
import { round } from './stats.ts';

/** List price of DynamoDB on-demand reads, us-east-1 (README, "What it costs"). */
const USD_PER_MILLION_READ_UNITS = 0.125;
const SECONDS_PER_MONTH = 30 * 86_400;

export interface IdleLongPollRow {
  scenario: string;
  queues: number;
  waitMs: number;
  polls: number;
  /** Mean wall time of one idle receive: its wait, plus the last store check. */
  msPerPoll: number;
  requestsPerPoll: number;
  rcuPerPoll: number;
  wcuPerPoll: number;
  /** One consumer that always has a long-poll open, for 30 days. */
  rcuPerMonth: number;
  usdPerMonth: number;
  byOperation: Record<string, number>;
}

/**
 * DynamoDB reads of idle long-polls, with the broker exactly as the Lambda functions build
 * it (`openLambdaBroker`, its DynamoDB endpoint from AWS_ENDPOINT_URL_DYNAMODB): a group on
 * one topic of `queues` queues, nothing to deliver, `polls` receives of `waitMs` each after
 * one warm-up receive (catalog cache, cursors). Capacity comes from ReturnConsumedCapacity,
 * with the minimum charge of empty reads, which DynamoDB Local reports as 0.
 */
export async function measureIdleLongPoll(
  endpoint: string,
  options: { queues: number; waitMs: number; polls: number },
): Promise<IdleLongPollRow> {
  const tablePrefix = `idle${Date.now().toString(36)}`;
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_REGION: process.env['AWS_REGION'] ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env['AWS_ACCESS_KEY_ID'] ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env['AWS_SECRET_ACCESS_KEY'] ?? 'local',
  });
  const admin = new DynamoDBClient({});
  await ensureTables(admin, Object.values(tableDefinitions(tablePrefix)));
  admin.destroy();
  const broker = await openLambdaBroker({ tablePrefix, bodyBucket: 'unused' });
  const store = broker.store as DynamoDbStore;
  try {
    await broker.catalog.putTopic('idle', { queueCount: options.queues });
    await broker.catalog.putGroup('idle-readers', { subscriptions: [{ topic: 'idle', tagExpression: '*' }] });
    await broker.consumer.receive('idle-readers', { maxMessages: 32, waitMs: 0 });
    store.capacity.reset();
    const started = performance.now();
    for (let poll = 0; poll < options.polls; poll++) {
      const messages = await broker.consumer.receive('idle-readers', { maxMessages: 32, waitMs: options.waitMs });
      if (messages.length > 0) throw new Error('an idle receive returned messages');
    }
    const elapsed = performance.now() - started;
    const { total, byOperation } = store.capacity.snapshot();
    const rcuPerPoll = total.rcu / options.polls;
    const pollsPerMonth = (SECONDS_PER_MONTH * 1000) / options.waitMs;
    return {
      scenario: `idle long-poll, ${options.queues} queues`,
      queues: options.queues,
      waitMs: options.waitMs,
      polls: options.polls,
      msPerPoll: round(elapsed / options.polls, 0),
      requestsPerPoll: round(total.requests / options.polls, 1),
      rcuPerPoll: round(rcuPerPoll, 1),
      wcuPerPoll: round(total.wcu / options.polls, 2),
      rcuPerMonth: Math.round(rcuPerPoll * pollsPerMonth),
      usdPerMonth: round((rcuPerPoll * pollsPerMonth * USD_PER_MILLION_READ_UNITS) / 1e6, 2),
      byOperation: Object.fromEntries(
        Object.entries(byOperation).map(([name, totals]) => [name, round(totals.requests / options.polls, 1)]),
      ),
    };
  } finally {
    await store.close();
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}

export function printIdleLongPoll(rows: IdleLongPollRow[]): void {
  printTable(
    'Idle long-poll on DynamoDB Local (one consumer; per month = 30 days of back-to-back polls)',
    rows as never,
    [
      'scenario',
      'waitMs',
      'polls',
      'msPerPoll',
      'requestsPerPoll',
      'rcuPerPoll',
      'wcuPerPoll',
      'rcuPerMonth',
      'usdPerMonth',
    ],
  );
  for (const row of rows) console.log(`  requests per poll by store operation (${row.scenario}):`, row.byOperation);
}

/** `npx node bench/idle-long-poll.ts [--queues 8] [--wait-ms 20000] [--polls 3]`: this measurement alone. */
if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      queues: { type: 'string', default: '8' },
      'wait-ms': { type: 'string', default: '20000' },
      polls: { type: 'string', default: '3' },
    },
  });
  const local = await startDynamoDbLocal();
  try {
    const row = await measureIdleLongPoll(local.endpoint, {
      queues: Number(values.queues),
      waitMs: Number(values['wait-ms']),
      polls: Number(values.polls),
    });
    printIdleLongPoll([row]);
  } finally {
    await local.stop();
  }
}
