import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedProcess } from './embedded-process.ts';
import { BenchClient } from './http-client.ts';
import { findRedisServer, startRedisProcess } from './redis-process.ts';
import { redisBatchedSends, redisConcurrentSends, redisSequentialSends } from './redis-scenarios.ts';
import { batchedSends, concurrentSends, type ScenarioResult, sequentialSends } from './scenarios.ts';

/**
 * `node bench/send-ab.ts --build <dir> [--build <dir> ...] [--rounds 3] [--scale 0.3] [--redis]`:
 * the send scenarios (a)-(c) only, against one or more builds of the broker (each a checkout
 * holding src/cli/main.ts), alternating builds round by round so a noisy machine hurts them
 * alike. Prints every run and the median per build and scenario.
 */
const { values } = parseArgs({
  options: {
    build: { type: 'string', multiple: true, default: [resolve(import.meta.dirname, '..')] },
    rounds: { type: 'string', default: '3' },
    scale: { type: 'string', default: '0.3' },
    redis: { type: 'boolean', default: false },
    /** `a` runs only (a) (one send at a time), the latency-bound scenario. */
    only: { type: 'string' },
  },
});
const builds = values.build as string[];
const rounds = Number(values.rounds);
const scale = Number(values.scale);
const n = (count: number) => Math.max(1, Math.round(count * scale));

/** CPU seconds (user + system) the process has used: less sensitive to a busy machine than throughput. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Measured extends ScenarioResult {
  /** Server CPU microseconds per message (the broker only). */
  cpuUsPerMsg?: number;
}

async function runBroker(root: string): Promise<Measured[]> {
  const server = await startEmbeddedProcess([], root);
  const client = new BenchClient(server.endpoint);
  const withCpu = async (scenario: () => Promise<ScenarioResult>): Promise<Measured> => {
    const before = cpuSeconds(server.pid);
    const result = await scenario();
    return { ...result, cpuUsPerMsg: Math.round(((cpuSeconds(server.pid) - before) * 1e6) / result.messages) };
  };
  try {
    await sequentialSends(client, n(500));
    if (values.only === 'a') return [await withCpu(() => sequentialSends(client, n(5_000)))];
    return [
      await withCpu(() => sequentialSends(client, n(5_000))),
      await withCpu(() => concurrentSends(client, n(60_000), 64)),
      await withCpu(() => batchedSends(client, n(3_000), 16)),
    ];
  } finally {
    client.close();
    await server.stop();
  }
}

async function runRedis(): Promise<ScenarioResult[]> {
  const binary = findRedisServer();
  if (!binary) throw new Error('redis-server is not on PATH');
  const redis = await startRedisProcess(binary);
  try {
    await redisSequentialSends(redis.port, n(500));
    if (values.only === 'a') return [await redisSequentialSends(redis.port, n(5_000))];
    return [
      await redisSequentialSends(redis.port, n(5_000)),
      await redisConcurrentSends(redis.port, n(60_000), 64),
      await redisBatchedSends(redis.port, n(3_000), 16),
    ];
  } finally {
    await redis.stop();
  }
}

const labels = [...builds, ...(values.redis ? ['redis'] : [])];
const runs = new Map<string, Measured[][]>(labels.map((label) => [label, []]));
for (let round = 0; round < rounds; round++) {
  for (const label of labels) {
    const results: Measured[] = label === 'redis' ? await runRedis() : await runBroker(label);
    runs.get(label)?.push(results);
    console.log(
      `round ${round + 1} ${label}: ${results.map((r) => `${r.name.slice(0, 3)} ${r.msgsPerSec}/s p50 ${r.p50Ms} cpu ${r.cpuUsPerMsg ?? '-'} us/msg`).join(' | ')}`,
    );
  }
}
const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] as number;
};
for (const [label, results] of runs) {
  const figures = (values.only === 'a' ? [0] : [0, 1, 2]).map((i) => {
    const rates = results.map((r) => (r[i] as Measured).msgsPerSec);
    const p50s = results.map((r) => (r[i] as Measured).p50Ms ?? Number.NaN);
    const cpu = results.map((r) => (r[i] as Measured).cpuUsPerMsg ?? Number.NaN);
    const name = (results[0] as Measured[])[i]?.name.slice(0, 3);
    return `${name} ${median(rates)}/s (${rates.join(', ')}) p50 ${median(p50s)} ms, cpu ${median(cpu)} us/msg`;
  });
  console.log(`${label}: ${figures.join(' | ')}`);
}
