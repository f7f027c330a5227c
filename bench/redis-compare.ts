import {
  redisBatchedSends,
  redisConcurrentSends,
  redisEndToEndLatency,
  redisReceiveAndAck,
  redisSequentialSends,
} from './redis-scenarios.ts';
import { printTable } from './report.ts';
import type { ScenarioResult } from './scenarios.ts';
import { round } from './stats.ts';

/** Issue 14's goals: the broker's figure over Redis's, per core scenario (higher is better). */
const GOALS: { prefix: string; goal: number; basis: 'throughput' | 'p99' }[] = [
  { prefix: '(a)', goal: 1.0, basis: 'throughput' },
  { prefix: '(b)', goal: 0.7, basis: 'throughput' },
  { prefix: '(c)', goal: 2.0, basis: 'throughput' },
  { prefix: '(d)', goal: 1.0, basis: 'throughput' },
  { prefix: '(e)', goal: 1.0, basis: 'p99' },
];

export interface ComparisonRow {
  name: string;
  broker: string;
  redis: string;
  /** broker/redis for throughput, redis/broker for p99 latency: higher is better either way. */
  ratio: number;
  goal: string;
  met: boolean;
}

/** The same work as the broker's (a)-(e) in bench/run.ts, against Redis streams. */
export async function runRedisScenarios(port: number, scale: number, e2eRate = 1_000): Promise<ScenarioResult[]> {
  const n = (count: number) => Math.max(1, Math.round(count * scale));
  await redisSequentialSends(port, n(500));
  return [
    await redisSequentialSends(port, n(5_000)),
    await redisConcurrentSends(port, n(60_000), 64),
    await redisBatchedSends(port, n(3_000), 16),
    await redisReceiveAndAck(port, n(3_000), 4),
    await redisEndToEndLatency(port, e2eRate, Math.max(2, Math.round(10 * scale))),
  ];
}

export function compare(broker: ScenarioResult[], redis: ScenarioResult[]): ComparisonRow[] {
  return GOALS.flatMap(({ prefix, goal, basis }) => {
    const b = broker.find((r) => r.name.startsWith(prefix));
    const r = redis.find((row) => row.name.startsWith(prefix));
    if (!b || !r) return [];
    const ratio = basis === 'p99' ? (r.p99Ms ?? Number.NaN) / (b.p99Ms ?? Number.NaN) : b.msgsPerSec / r.msgsPerSec;
    const figure = (s: ScenarioResult) =>
      basis === 'p99' ? `p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms` : `${s.msgsPerSec.toLocaleString('en-US')}/s`;
    return [
      {
        name: b.name,
        broker: figure(b),
        redis: figure(r),
        ratio: round(ratio),
        goal: `>= ${goal.toFixed(1)}x`,
        met: ratio >= goal,
      },
    ];
  });
}

export function printComparison(rows: ComparisonRow[], title: string): void {
  printTable(
    title,
    rows.map((row) => ({ ...row, ratio: `${row.ratio}x`, met: row.met ? 'yes' : 'NO' })),
    ['name', 'broker', 'redis', 'ratio', 'goal', 'met'],
  );
}
