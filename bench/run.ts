import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { delayLateness } from './delay-lateness.ts';
import { startEmbeddedProcess, startFloorProcess } from './embedded-process.ts';
import { BenchClient } from './http-client.ts';
import { orderedReceiveAndAck } from './ordered.ts';
import { printScenarios, writeJson } from './report.ts';
import {
  batchedSends,
  concurrentSends,
  endToEndLatency,
  floorSends,
  receiveAndAck,
  type ScenarioResult,
  sequentialSends,
} from './scenarios.ts';
import { checkBackLateness, halfAndCommit } from './transactions.ts';

/**
 * `npm run bench [-- --store sqlite|dynamodb] [--quick]`: the foundation's scenarios over
 * HTTP on loopback with 1 KiB bodies; prints a table and writes bench/results.json.
 */
const { values } = parseArgs({
  options: { store: { type: 'string', default: 'sqlite' }, quick: { type: 'boolean', default: false } },
});
const quick = values.quick === true;

async function runScenarios(endpoint: string, scale: number, e2eRate = 1_000): Promise<ScenarioResult[]> {
  const n = (count: number) => Math.max(1, Math.round(count * scale));
  const client = new BenchClient(endpoint);
  const results: ScenarioResult[] = [];
  try {
    // Warm up the server (JIT, prepared statements) before measuring.
    await sequentialSends(client, n(500));
    results.push(await sequentialSends(client, n(5_000)));
    results.push(await concurrentSends(client, n(60_000), 64));
    results.push(await batchedSends(client, n(3_000), 16));
    results.push(await receiveAndAck(client, n(3_000), 4));
    results.push(await endToEndLatency(client, e2eRate, Math.max(2, Math.round(10 * scale))));
    results.push(await delayLateness(client, n(2_000), Math.max(6_000, Math.round(60_000 * scale))));
    results.push(await halfAndCommit(client, n(20_000), 64));
    results.push(await checkBackLateness(client, n(1_000), Math.max(5_000, Math.round(30_000 * scale))));
    results.push(await orderedReceiveAndAck(client, n(200)));
  } finally {
    client.close();
  }
  return results;
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
    const server = await startEmbeddedProcess();
    try {
      const results = await runScenarios(server.endpoint, quick ? 0.1 : 1);
      printScenarios('Embedded broker (SQLite, fsync before confirm), HTTP on loopback, 1 KiB bodies', results);
      output.scenarios = results;
    } finally {
      await server.stop();
    }
    output.floor = await measureFloor(quick ? 0.1 : 1);
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
