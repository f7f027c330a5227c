/**
 * The embedded broker's memory over repeated rounds of work in one process: its RSS at the
 * peak of each round, after it, with idle long-polls open, and where it lives (V8 heap,
 * malloc, files), so growth can be told apart from a settling heap or a bounded cache.
 *
 *   node bench/memory-rounds.ts [--rounds 6] [--scale 0.3] [--env MALLOC_ARENA_MAX=2]
 */
import { parseArgs } from 'node:util';
import { runCoreScenarios } from './core-scenarios.ts';
import { BenchClient } from './http-client.ts';
import { type MemoryRound, memoryVerdict, printMemoryRounds } from './memory-verdict.ts';
import { type ProbedBroker, startProbedBroker } from './probed-broker.ts';
import { rssMiB, rssWithIdleLongPolls, withPeakRss } from './rss.ts';
import { residentBreakdown } from './smaps.ts';

/**
 * Flags that leave room for every idle poll from the bench's one client address, and for the
 * connections (e) opens when the server falls behind its 1,000 sends/s on a busy machine: the
 * per-client connection cap follows the per-client long-poll cap, and the defaults refused them.
 */
export function idlePollRoom(polls: number): string[] {
  return [
    '--max-long-polls',
    String(polls + 10),
    '--max-long-polls-per-client',
    String(polls + 4_000),
    '--max-connections',
    String(polls + 4_200),
  ];
}

/** Creates the empty group the idle long-polls wait on. */
export async function createIdleGroup(endpoint: string): Promise<string> {
  const admin = new BenchClient(endpoint);
  try {
    await admin.request('PUT', '/v1/topics/idle', { queueCount: 1 });
    await admin.request('PUT', '/v1/groups/idle-g', { subscriptions: [{ topic: 'idle', tagExpression: '*' }] });
  } finally {
    admin.close();
  }
  return 'idle-g';
}

/**
 * Runs `work` once per round in `broker` and reads its memory around each run. The RSS
 * figures are read first; the V8 heap's live size comes last, after a full collection (so it
 * counts live objects only), once the round's idle long-polls have closed.
 */
export async function measureMemoryRounds<T>(
  broker: ProbedBroker,
  options: { rounds: number; idlePolls: number; idleGroup: string },
  work: (round: number) => Promise<T>,
): Promise<{ rounds: MemoryRound[]; results: T[] }> {
  const rounds: MemoryRound[] = [];
  const results: T[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const [result, peak] = await withPeakRss(broker.pid, () => work(round));
    results.push(result);
    const afterBench = await rssMiB(broker.pid);
    const where = await residentBreakdown(broker.pid);
    const heap = await broker.reading(false);
    const withPolls = await rssWithIdleLongPolls(broker.pid, broker.port, options.idleGroup, options.idlePolls);
    const afterPolls = await rssMiB(broker.pid);
    const live = await broker.reading(true);
    const row: MemoryRound = {
      round,
      peakUnderBenchMiB: peak,
      afterBenchMiB: afterBench,
      withIdleLongPollsMiB: withPolls,
      afterPollsClosedMiB: afterPolls,
      heapTotalMiB: heap.heapTotalMiB,
      heapLiveMiB: live.heapUsedMiB,
      externalMiB: heap.externalMiB,
      anonymousMiB: where.anonymousMiB,
      brkHeapMiB: where.brkHeapMiB,
      filesMiB: where.filesMiB,
    };
    rounds.push(row);
    console.log(`round ${round}: RSS`, row);
  }
  return { rounds, results };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '6' },
      scale: { type: 'string', default: '0.3' },
      polls: { type: 'string', default: '1000' },
      env: { type: 'string', multiple: true, default: [] },
    },
  });
  const env = Object.fromEntries(
    (values.env as string[]).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  const idlePolls = Number(values.polls);
  const broker = await startProbedBroker(idlePollRoom(idlePolls), env);
  try {
    const idleGroup = await createIdleGroup(broker.endpoint);
    const scale = Number(values.scale);
    const started = performance.now();
    const { rounds } = await measureMemoryRounds(broker, { rounds: Number(values.rounds), idlePolls, idleGroup }, () =>
      runCoreScenarios(broker.endpoint, scale),
    );
    printMemoryRounds(`Embedded broker memory (MiB), (a)-(e) at scale ${scale} per round`, rounds, idlePolls);
    console.log('verdict:', memoryVerdict(rounds));
    console.log(`took ${Math.round((performance.now() - started) / 1000)} s`);
  } finally {
    await broker.stop();
  }
}
