import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCoreScenarios } from './core-scenarios.ts';
import { delayLateness } from './delay-lateness.ts';
import { startFloorProcess } from './embedded-process.ts';
import { BenchClient } from './http-client.ts';
import { createIdleGroup, idlePollRoom, measureMemoryRounds } from './memory-rounds.ts';
import { type MemoryRound, memoryVerdict, printMemoryRounds } from './memory-verdict.ts';
import { orderedReceiveAndAck } from './ordered.ts';
import { startProbedBroker } from './probed-broker.ts';
import { compare, printComparison, runRedisScenarios } from './redis-compare.ts';
import { findRedisServer, redisVersion, startRedisProcess } from './redis-process.ts';
import { printScenarios, writeJson } from './report.ts';
import { withPeakRss } from './rss.ts';
import { floorSends, type ScenarioResult } from './scenarios.ts';
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

/**
 * Rounds of (a)-(e) in one broker process, each followed by idle long-polls: enough for the
 * V8 young generation and SQLite's page cache to reach their bounds, with a window of three
 * rounds after that to judge whether RSS still grows (bench/memory-verdict.ts).
 */
const ROUNDS = 5;
const IDLE_LONG_POLLS = 1_000;

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

/**
 * The embedded broker under (a)-(e) `ROUNDS` times in one process, with its memory around
 * each round (bench/memory-rounds.ts), then (f)-(i). Returns the first round's results (the
 * ones reported) and the memory rows.
 */
async function runEmbedded(
  scale: number,
): Promise<{ core: ScenarioResult[]; features: ScenarioResult[]; memory: MemoryRound[] }> {
  const server = await startProbedBroker(idlePollRoom(IDLE_LONG_POLLS));
  try {
    const idleGroup = await createIdleGroup(server.endpoint);
    const { rounds, results } = await measureMemoryRounds(
      server,
      { rounds: ROUNDS, idlePolls: IDLE_LONG_POLLS, idleGroup },
      () => runCoreScenarios(server.endpoint, scale),
    );
    const features = await runFeatureScenarios(server.endpoint, scale);
    return { core: results[0] ?? [], features, memory: rounds };
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
    printMemoryRounds(
      `Embedded broker memory (MiB), ${ROUNDS} rounds of (a)-(e) in one process, ${IDLE_LONG_POLLS} idle long-polls after each`,
      memory,
      IDLE_LONG_POLLS,
    );
    const verdict = memoryVerdict(memory);
    console.log(`memory: ${verdict.summary}`);
    output.scenarios = results;
    output.memory = { idleLongPolls: IDLE_LONG_POLLS, rounds: memory, verdict };
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
