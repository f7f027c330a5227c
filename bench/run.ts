import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { delayLateness } from './delay-lateness.ts';
import { startEmbeddedProcess, startFloorProcess } from './embedded-process.ts';
import { BenchClient } from './http-client.ts';
import { orderedReceiveAndAck } from './ordered.ts';
import { compare, printComparison, runRedisScenarios } from './redis-compare.ts';
import { findRedisServer, redisVersion, startRedisProcess } from './redis-process.ts';
import { printScenarios, printTable, writeJson } from './report.ts';
import { rssMiB, rssWithIdleLongPolls, withPeakRss } from './rss.ts';
import {
  batchedSends,
  concurrentSends,
  endToEndLatency,
  floorSends,
  receiveAndAck,
  type ScenarioResult,
  sequentialSends,
} from './scenarios.ts';
import { round } from './stats.ts';
import { checkBackLateness, halfAndCommit } from './transactions.ts';

/**
 * `npm run bench [-- --store sqlite|dynamodb] [--quick]`: the foundation's scenarios over
 * HTTP on loopback with 1 KiB bodies; prints a table and writes bench/results.json.
 */
const { values } = parseArgs({
  options: { store: { type: 'string', default: 'sqlite' }, quick: { type: 'boolean', default: false } },
});
const quick = values.quick === true;

/** Rounds of (a)-(e), each followed by idle long-polls: RSS must not climb from one to the next. */
const ROUNDS = 3;
const IDLE_LONG_POLLS = 1_000;

/** The core scenarios (a)-(e), the ones compared with Redis. */
async function runCoreScenarios(endpoint: string, scale: number, e2eRate = 1_000): Promise<ScenarioResult[]> {
  const n = (count: number) => Math.max(1, Math.round(count * scale));
  const client = new BenchClient(endpoint);
  try {
    // Warm up the server (JIT, prepared statements) before measuring.
    await sequentialSends(client, n(500));
    return [
      await sequentialSends(client, n(5_000)),
      await concurrentSends(client, n(60_000), 64),
      await batchedSends(client, n(3_000), 16),
      await receiveAndAck(client, n(3_000), 4),
      await endToEndLatency(client, e2eRate, Math.max(2, Math.round(10 * scale))),
    ];
  } finally {
    client.close();
  }
}

/** Delayed messages, transactions and ordered consumption: (f)-(i). */
async function runFeatureScenarios(endpoint: string, scale: number): Promise<ScenarioResult[]> {
  const n = (count: number) => Math.max(1, Math.round(count * scale));
  const client = new BenchClient(endpoint);
  try {
    return [
      await delayLateness(client, n(2_000), Math.max(6_000, Math.round(60_000 * scale))),
      await halfAndCommit(client, n(20_000), 64),
      await checkBackLateness(client, n(1_000), Math.max(5_000, Math.round(30_000 * scale))),
      await orderedReceiveAndAck(client, n(200)),
    ];
  } finally {
    client.close();
  }
}

async function runScenarios(endpoint: string, scale: number, e2eRate = 1_000): Promise<ScenarioResult[]> {
  return [...(await runCoreScenarios(endpoint, scale, e2eRate)), ...(await runFeatureScenarios(endpoint, scale))];
}

interface MemoryRound {
  round: number;
  peakUnderBenchMiB: number;
  afterBenchMiB: number;
  [key: `with${number}IdleLongPollsMiB`]: number;
  afterPollsClosedMiB: number;
}

/**
 * The embedded broker under (a)-(e) `ROUNDS` times in one process, with its RSS at the peak
 * of each round, after it, with `IDLE_LONG_POLLS` idle long-polls open, and once they close.
 * Returns the first round's results (the ones reported) and the memory rows.
 */
async function runEmbedded(
  scale: number,
): Promise<{ core: ScenarioResult[]; features: ScenarioResult[]; memory: MemoryRound[] }> {
  const server = await startEmbeddedProcess([
    // Room for every idle poll from this one client address; the defaults would refuse most.
    '--max-long-polls',
    String(IDLE_LONG_POLLS + 10),
    '--max-long-polls-per-client',
    String(IDLE_LONG_POLLS + 10),
    '--max-connections',
    String(IDLE_LONG_POLLS + 200),
  ]);
  try {
    const admin = new BenchClient(server.endpoint);
    await admin.request('PUT', '/v1/topics/idle', { queueCount: 1 });
    await admin.request('PUT', '/v1/groups/idle-g', { subscriptions: [{ topic: 'idle', tagExpression: '*' }] });
    admin.close();
    const memory: MemoryRound[] = [];
    let core: ScenarioResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const [results, peak] = await withPeakRss(server.pid, () => runCoreScenarios(server.endpoint, scale));
      if (round === 1) core = results;
      const afterBench = await rssMiB(server.pid);
      const withPolls = await rssWithIdleLongPolls(server.pid, server.port, 'idle-g', IDLE_LONG_POLLS);
      const row = {
        round,
        peakUnderBenchMiB: peak,
        afterBenchMiB: afterBench,
        [`with${IDLE_LONG_POLLS}IdleLongPollsMiB`]: withPolls,
        afterPollsClosedMiB: await rssMiB(server.pid),
      } as MemoryRound;
      memory.push(row);
      console.log(`round ${round}: RSS`, row);
    }
    const features = await runFeatureScenarios(server.endpoint, scale);
    return { core, features, memory };
  } finally {
    await server.stop();
  }
}

/** Redis streams with `appendfsync always`, the same (a)-(e); undefined when redis-server is absent. */
async function runRedis(
  scale: number,
): Promise<{ version: string; scenarios: ScenarioResult[]; peakRssMiB: number } | undefined> {
  const binary = findRedisServer();
  if (binary === undefined) {
    console.log('\nredis-server is not on PATH: skipping the Redis comparison (apt-get install redis-server).');
    return undefined;
  }
  const redis = await startRedisProcess(binary);
  try {
    const [scenarios, peakRssMiB] = await withPeakRss(redis.pid, () => runRedisScenarios(redis.port, scale));
    return { version: redisVersion(binary), scenarios, peakRssMiB };
  } finally {
    await redis.stop();
  }
}

/** The same client against an empty Node HTTP server: what this machine's HTTP allows at best. */
async function measureFloor(scale: number): Promise<ScenarioResult[]> {
  const floor = await startFloorProcess();
  const client = new BenchClient(floor.endpoint);
  try {
    const n = (count: number) => Math.max(1, Math.round(count * scale));
    await floorSends(client, n(500), 1);
    const results = [await floorSends(client, n(5_000), 1), await floorSends(client, n(60_000), 64)];
    printScenarios('Floor: empty Node HTTP server, same client (no broker, no disk)', results);
    return results;
  } finally {
    client.close();
    await floor.stop();
  }
}

async function main() {
  const store = values.store as string;
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version };
  const output: Record<string, unknown> = { date: new Date().toISOString(), store, machine };
  if (store === 'sqlite') {
    const scale = quick ? 0.1 : 1;
    const load = () => loadavg().map((value) => round(value));
    output.loadAverageBefore = load();
    const { core, features, memory } = await runEmbedded(scale);
    const results = [...core, ...features];
    printScenarios('Embedded broker (SQLite, fsync before confirm), HTTP on loopback, 1 KiB bodies', results);
    printTable(`Embedded broker RSS (MiB), ${ROUNDS} rounds of (a)-(e) in one process`, memory as never, [
      'round',
      'peakUnderBenchMiB',
      'afterBenchMiB',
      `with${IDLE_LONG_POLLS}IdleLongPollsMiB`,
      'afterPollsClosedMiB',
    ]);
    output.scenarios = results;
    output.memory = memory;
    const redis = await runRedis(scale);
    if (redis) {
      printScenarios(
        `Redis ${redis.version} streams, appendonly yes, appendfsync always, 1 KiB bodies`,
        redis.scenarios,
      );
      const comparison = compare(core, redis.scenarios);
      printComparison(comparison, 'Embedded broker / Redis (higher is better; for (e) Redis p99 / broker p99)');
      output.redis = redis;
      output.comparison = comparison;
    } else {
      output.redis = { skipped: 'redis-server not on PATH' };
    }
    output.floor = await measureFloor(scale);
    output.loadAverageAfter = load();
    console.log(`\nload average (1, 5, 15 min): before ${output.loadAverageBefore}, after ${output.loadAverageAfter}`);
  } else if (store === 'dynamodb') {
    const { runDynamoDbBench } = await import('./dynamodb-bench.ts');
    Object.assign(output, await runDynamoDbBench({ quick, runScenarios }));
  } else {
    throw new Error(`--store must be sqlite or dynamodb (got ${store})`);
  }
  const { bundleReport } = await import('./bundles.ts');
  output.bundles = await bundleReport();
  const path = join(import.meta.dirname, 'results.json');
  await writeJson(path, output);
  console.log(`\nwrote ${path}`);
}

await main();
