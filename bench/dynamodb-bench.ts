import { openDynamoDbStore } from '../src/adapters/dynamodb/index.ts';
import { startEmbeddedServer } from '../src/local/embedded-server.ts';
import { startDynamoDbLocal } from '../test/support/dynamodb-local.ts';
import { BenchClient } from './http-client.ts';
import { measureIdleLongPoll, printIdleLongPoll } from './idle-long-poll.ts';
import { measureOrderedCapacity } from './ordered.ts';
import { printScenarios, printTable } from './report.ts';
import { BODY_1KIB, type ScenarioResult } from './scenarios.ts';
import { nowMs, percentiles, round } from './stats.ts';

interface Options {
  quick: boolean;
  runScenarios(endpoint: string, scale: number, e2eRate?: number): Promise<ScenarioResult[]>;
}

interface PhaseCapacity {
  phase: string;
  messages: number;
  wcuPerMsg: number;
  rcuPerMsg: number;
  /** Per store operation (`store.capacity.snapshot().byOperation`), per message. */
  byOperation?: Record<string, { wcu: number; rcu: number }>;
}

/**
 * The foundation's scenarios on DynamoDB Local, plus capacity units per 1 KiB message,
 * read from ReturnConsumedCapacity, for send, receive and ack (batches of 32 and single),
 * and the reads of an idle 20 s long-poll on an 8-queue topic.
 */
export async function runDynamoDbBench(options: Options): Promise<Record<string, unknown>> {
  const local = await startDynamoDbLocal();
  const store = await openDynamoDbStore({ endpoint: local.endpoint, tablePrefix: 'bench', createTables: true });
  const server = await startEmbeddedServer({ port: 0, store });
  const client = new BenchClient(server.url);
  // Trace writes run in the background: a phase counts its own once they are done.
  const settled = () => server.broker.tracer.settled();
  try {
    const capacity = [
      ...(await measureCapacityPaths(client, store.capacity, settled, options.quick)),
      ...(await measureOrderedCapacity(client, store.capacity, options.quick ? 4 : 16)),
    ];
    printCapacity(capacity);
    const byOperation = store.capacity.snapshot().byOperation;
    const idleLongPoll = await measureIdleLongPoll(local.endpoint, {
      queues: 8,
      waitMs: 20_000,
      polls: options.quick ? 1 : 2,
    });
    printIdleLongPoll([idleLongPoll]);
    const emptyReceive = await measureEmptyReceive(client, options.quick ? 100 : 400);
    printTable(
      'Empty receive (waitMs 0) on DynamoDB Local, HTTP on loopback',
      emptyReceive as unknown as Record<string, unknown>[],
      ['queues', 'receives', 'p50Ms', 'p99Ms'],
    );
    const scenarios = await options.runScenarios(server.url, options.quick ? 0.02 : 0.1, 50);
    printScenarios('Embedded server on DynamoDB Local, HTTP on loopback, 1 KiB bodies', scenarios);
    return { capacity, capacityByOperationLastPath: byOperation, idleLongPoll, emptyReceive, scenarios };
  } finally {
    client.close();
    await server.close();
    await store.close();
    await local.stop();
  }
}

type Meter = {
  snapshot(): { total: { wcu: number; rcu: number }; byOperation: Record<string, { wcu: number; rcu: number }> };
  reset(): void;
};

/**
 * Send, receive and ack of 1 KiB messages in batches of 32 and one per call, each with the
 * topic's lifecycle trace on (the default) and off, so what the trace adds shows apart.
 */
export async function measureCapacityPaths(
  client: BenchClient,
  meter: Meter,
  settled: () => Promise<void>,
  quick: boolean,
): Promise<PhaseCapacity[]> {
  const rows: PhaseCapacity[] = [];
  for (const trace of [true, false]) {
    rows.push(...(await measurePath(client, meter, settled, 32, quick ? 640 : 3_200, trace)));
    rows.push(...(await measurePath(client, meter, settled, 1, quick ? 100 : 500, trace)));
  }
  return rows;
}

/** The capacity table, then each phase's figures per store operation. */
export function printCapacity(capacity: PhaseCapacity[]): void {
  printTable(
    'DynamoDB capacity units per 1 KiB message (ReturnConsumedCapacity)',
    capacity as unknown as Record<string, unknown>[],
    ['phase', 'messages', 'wcuPerMsg', 'rcuPerMsg'],
  );
  const operations = capacity.flatMap((row) =>
    Object.entries(row.byOperation ?? {}).map(([operation, used]) => ({ phase: row.phase, operation, ...used })),
  );
  printTable('Per store operation (capacity units per message)', operations, ['phase', 'operation', 'wcu', 'rcu']);
}

/** The trace port's writes (src/adapters/dynamodb/trace-records.ts). */
const TRACE_OPERATION = 'trace.append';

/**
 * Store operations of the embedded server's timed maintenance (retention sweep, held-message
 * release, the topic listing they start from), left out of the per-message figures: they run
 * on a timer whether messages flow or not, so a phase that happens to span one would look
 * dearer.
 */
const BACKGROUND_OPERATION = /^(sweep|held\.|catalog\.query$)/;

async function measurePath(
  client: BenchClient,
  meter: Meter,
  settled: () => Promise<void>,
  batch: number,
  total: number,
  trace: boolean,
): Promise<PhaseCapacity[]> {
  const topic = `cap-${batch}-${trace ? 't' : 'n'}-${Date.now()}`;
  const group = `${topic}-g`;
  await client.request('PUT', `/v1/topics/${topic}`, { queueCount: 8, trace });
  await client.request('PUT', `/v1/groups/${group}`, { subscriptions: [{ topic, tagExpression: '*' }] });
  const label = `${batch === 1 ? 'single' : `batches of ${batch}`}, trace ${trace ? 'on' : 'off'}`;
  let traceWcu = 0;
  const phase = async (name: string, work: () => Promise<void>): Promise<PhaseCapacity> => {
    await settled();
    meter.reset();
    await work();
    await settled();
    const { byOperation } = meter.snapshot();
    traceWcu += byOperation[TRACE_OPERATION]?.wcu ?? 0;
    let wcu = 0;
    let rcu = 0;
    const perOperation: Record<string, { wcu: number; rcu: number }> = {};
    for (const [operation, spent] of Object.entries(byOperation)) {
      // The server's timed maintenance runs whether messages flow or not: not a message's cost.
      if (BACKGROUND_OPERATION.test(operation)) continue;
      wcu += spent.wcu;
      rcu += spent.rcu;
      perOperation[operation] = { wcu: round(spent.wcu / total, 3), rcu: round(spent.rcu / total, 3) };
    }
    return {
      phase: `${name} (${label})`,
      messages: total,
      wcuPerMsg: round(wcu / total, 3),
      rcuPerMsg: round(rcu / total, 3),
      byOperation: perOperation,
    };
  };
  const send = await phase('send', async () => {
    for (let sent = 0; sent < total; sent += batch) {
      const messages = Array.from({ length: Math.min(batch, total - sent) }, () => ({ body: BODY_1KIB }));
      await client.request('POST', `/v1/topics/${topic}/messages`, batch === 1 ? messages[0] : { messages });
    }
  });
  const handles: string[] = [];
  const receive = await phase('receive', async () => {
    let idle = 0;
    while (handles.length < total && idle < 20) {
      const { json } = await client.request<{ messages: { receiptHandle: string }[] }>(
        'POST',
        `/v1/groups/${group}/receive`,
        { maxMessages: batch, invisibleDurationMs: 600_000 },
      );
      if (json.messages.length === 0) idle++;
      for (const message of json.messages) handles.push(message.receiptHandle);
    }
  });
  const ack = await phase('ack', async () => {
    for (let i = 0; i < handles.length; i += batch) {
      await client.request('POST', `/v1/groups/${group}/ack`, { receiptHandles: handles.slice(i, i + batch) });
    }
  });
  const path: PhaseCapacity = {
    phase: `send+receive+ack (${label})`,
    messages: total,
    wcuPerMsg: round(send.wcuPerMsg + receive.wcuPerMsg + ack.wcuPerMsg, 3),
    rcuPerMsg: round(send.rcuPerMsg + receive.rcuPerMsg + ack.rcuPerMsg, 3),
  };
  // Included in the figures above: what the lifecycle trace adds (goal: at most 0.5 WCU per message batched).
  const ofWhichTrace: PhaseCapacity = {
    phase: `of which trace (${label})`,
    messages: total,
    wcuPerMsg: round(traceWcu / total, 3),
    rcuPerMsg: 0,
  };
  return [send, receive, ack, path, ofWhichTrace];
}

interface EmptyReceiveLatency {
  queues: number;
  receives: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Latency of a receive that finds nothing (waitMs 0), the common case of an idle consumer:
 * a topic of 1, 8 and 16 queues whose messages were all consumed, so every lane has cursors
 * and every queue a head.
 */
async function measureEmptyReceive(client: BenchClient, receives: number): Promise<EmptyReceiveLatency[]> {
  const rows: EmptyReceiveLatency[] = [];
  for (const queues of [1, 8, 16]) {
    const topic = `empty-${queues}-${Date.now()}`;
    const group = `${topic}-g`;
    await client.request('PUT', `/v1/topics/${topic}`, { queueCount: queues });
    await client.request('PUT', `/v1/groups/${group}`, { subscriptions: [{ topic, tagExpression: '*' }] });
    const messages = Array.from({ length: queues * 2 }, () => ({ body: BODY_1KIB }));
    await client.request('POST', `/v1/topics/${topic}/messages`, { messages });
    const receive = () =>
      client.request<{ messages: { receiptHandle: string }[] }>('POST', `/v1/groups/${group}/receive`, {
        maxMessages: 32,
      });
    for (let drained = 0; drained < messages.length; ) {
      const { json } = await receive();
      if (json.messages.length === 0) break;
      drained += json.messages.length;
      const receiptHandles = json.messages.map((message) => message.receiptHandle);
      await client.request('POST', `/v1/groups/${group}/ack`, { receiptHandles });
    }
    // Warm up (connections, caches), then measure.
    for (let i = 0; i < 10; i++) await receive();
    const samples: number[] = [];
    for (let i = 0; i < receives; i++) {
      const started = nowMs();
      const { json } = await receive();
      samples.push(nowMs() - started);
      if (json.messages.length > 0) throw new Error(`An empty receive on ${topic} got messages.`);
    }
    const { p50, p99 } = percentiles(samples);
    rows.push({ queues, receives, p50Ms: p50, p99Ms: p99 });
  }
  return rows;
}
