import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedProcess } from './embedded-process.ts';
import { BenchClient } from './http-client.ts';
import { findRedisServer, startRedisProcess } from './redis-process.ts';
import { redisEndToEndLatency, redisReceiveAndAck } from './redis-scenarios.ts';
import { endToEndLatency, receiveAndAck, type ScenarioResult, sequentialSends } from './scenarios.ts';

/**
 * `node bench/receive-ab.ts [--root DIR ...] [--rounds N] [--scale S]`: only (d) receive + ack
 * and (e) end-to-end latency, for each broker source tree given by `--root` (default this one)
 * and for Redis, alternating the trees round by round, so builds compared on a shared, noisy
 * machine see the same conditions. Prints every run and the median per tree.
 */
const { values } = parseArgs({
  options: {
    root: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '3' },
    scale: { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});
const roots = values.root ?? [join(import.meta.dirname, '..')];
const rounds = Number(values.rounds);
const scale = Number(values.scale);
const only = values.only;

async function runBroker(root: string): Promise<ScenarioResult[]> {
  const server = await startEmbeddedProcess([], root);
  const client = new BenchClient(server.endpoint);
  try {
    await sequentialSends(client, 300);
    const out: ScenarioResult[] = [];
    if (only !== 'e') out.push(await receiveAndAck(client, Math.round(3_000 * scale), 4));
    if (only !== 'd') out.push(await endToEndLatency(client, 1_000, Math.max(2, Math.round(10 * scale))));
    return out;
  } finally {
    client.close();
    await server.stop();
  }
}

async function runRedis(): Promise<ScenarioResult[]> {
  const binary = findRedisServer();
  if (!binary) return [];
  const redis = await startRedisProcess(binary);
  try {
    const out: ScenarioResult[] = [];
    if (only !== 'e') out.push(await redisReceiveAndAck(redis.port, Math.round(3_000 * scale), 4));
    if (only !== 'd') out.push(await redisEndToEndLatency(redis.port, 1_000, Math.max(2, Math.round(10 * scale))));
    return out;
  } finally {
    await redis.stop();
  }
}

function line(label: string, results: ScenarioResult[]): string {
  return results
    .map((r) =>
      r.name.startsWith('(d)') ? `${label} (d) ${r.msgsPerSec}/s` : `${label} (e) p50 ${r.p50Ms} p99 ${r.p99Ms} ms`,
    )
    .join('   ');
}

const runs = new Map<string, ScenarioResult[][]>();
for (let round = 0; round < rounds; round++) {
  const order = [
    ...roots.map((root) => ({ label: root, run: () => runBroker(root) })),
    { label: 'redis', run: runRedis },
  ];
  for (const { label, run } of round % 2 === 0 ? order : order.reverse()) {
    const results = await run();
    runs.set(label, [...(runs.get(label) ?? []), results]);
    console.log(`round ${round + 1}: ${line(label, results)}`);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
console.log('\nmedians:');
for (const [label, all] of runs) {
  const d = all.map((r) => r.find((x) => x.name.startsWith('(d)'))?.msgsPerSec ?? Number.NaN);
  const e50 = all.map((r) => r.find((x) => x.name.startsWith('(e)'))?.p50Ms ?? Number.NaN);
  const e99 = all.map((r) => r.find((x) => x.name.startsWith('(e)'))?.p99Ms ?? Number.NaN);
  console.log(`${label}: (d) ${median(d)} msgs/s; (e) p50 ${median(e50)} ms, p99 ${median(e99)} ms`);
}
