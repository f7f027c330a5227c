import { BenchClient } from './http-client.ts';
import {
  batchedSends,
  concurrentSends,
  endToEndLatency,
  receiveAndAck,
  type ScenarioResult,
  sequentialSends,
} from './scenarios.ts';

/** The core scenarios (a)-(e), the ones compared with Redis; each run makes fresh topics. */
export async function runCoreScenarios(endpoint: string, scale: number, e2eRate = 1_000): Promise<ScenarioResult[]> {
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
