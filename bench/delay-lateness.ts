import type { BenchClient } from './http-client.ts';
import type { ScenarioResult } from './scenarios.ts';
import { percentiles, round } from './stats.ts';

interface Received {
  msgId: string;
  deliverAt?: number;
  receiptHandle: string;
}

/**
 * Delayed-message lateness: `count` messages due at random times over `spreadMs`, four
 * consumers long-polling; lateness is the time a consumer got a message minus its
 * `deliverAt` (client and broker share the machine's clock). Target p99 <= 1 s.
 */
export async function delayLateness(client: BenchClient, count: number, spreadMs: number): Promise<ScenarioResult> {
  const topic = `bench-delay-${Date.now()}`;
  const group = `${topic}-g`;
  await client.request('PUT', `/v1/topics/${topic}`, { messageType: 'DELAY', queueCount: 8 });
  await client.request('PUT', `/v1/groups/${group}`, { subscriptions: [{ topic, tagExpression: '*' }] });
  const start = Date.now() + 2_000;
  const dueTimes = Array.from({ length: count }, () => start + Math.floor(Math.random() * spreadMs));
  for (let i = 0; i < count; i += 32) {
    const messages = dueTimes.slice(i, i + 32).map((deliverAt) => ({ body: 'x'.repeat(1024), deliverAt }));
    await client.request('POST', `/v1/topics/${topic}/messages`, { messages });
  }
  const lateness: number[] = [];
  const deadline = start + spreadMs + 30_000;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (lateness.length < count && Date.now() < deadline) {
        const { json } = await client.request<{ messages: Received[] }>('POST', `/v1/groups/${group}/receive`, {
          maxMessages: 32,
          waitMs: 2_000,
        });
        const at = Date.now();
        for (const message of json.messages) lateness.push(at - (message.deliverAt ?? at));
        if (json.messages.length > 0) {
          await client.request('POST', `/v1/groups/${group}/ack`, {
            receiptHandles: json.messages.map((m) => m.receiptHandle),
          });
        }
      }
    }),
  );
  const { p50, p99 } = percentiles(lateness);
  return {
    name: `(f) delayed delivery lateness, ${count} due over ${spreadMs / 1000} s`,
    messages: lateness.length,
    seconds: round((spreadMs + 2_000) / 1000),
    msgsPerSec: Math.round(lateness.length / ((spreadMs + 2_000) / 1000)),
    p50Ms: p50,
    p99Ms: p99,
    target: 'all delivered, p99 lateness <= 1,000 ms',
    met: lateness.length === count && p99 <= 1_000,
  };
}
