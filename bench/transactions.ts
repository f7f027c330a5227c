import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BenchClient } from './http-client.ts';
import type { ScenarioResult } from './scenarios.ts';
import { percentiles, round } from './stats.ts';

interface HalfResponse {
  transactionId: string;
}

async function transactionTopic(client: BenchClient, name: string, checker: unknown, firstCheckAfterMs = 60_000) {
  const topic = `bench-${name}-${Date.now()}`;
  await client.request('PUT', `/v1/topics/${topic}`, { messageType: 'TRANSACTION', queueCount: 8 });
  await client.request('PUT', `/v1/groups/${topic}-g`, { subscriptions: [{ topic, tagExpression: '*' }] });
  await client.request('PUT', `/v1/producer-groups/${topic}-p`, { checker, firstCheckAfterMs, checkIntervalMs: 1_000 });
  return { topic, producerGroup: `${topic}-p` };
}

/**
 * Half message + commit, `concurrency` producers at once, 1 KiB bodies: transactions per
 * second and the latency of the pair (two durable writes: the hold, then the release).
 */
export async function halfAndCommit(client: BenchClient, count: number, concurrency: number): Promise<ScenarioResult> {
  const { topic, producerGroup } = await transactionTopic(client, 'txn', { type: 'poll' });
  const body = 'x'.repeat(1024);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const t0 = performance.now();
        const half = await client.request<HalfResponse>('POST', `/v1/topics/${topic}/messages`, {
          body,
          producerGroup,
        });
        const commit = await client.request('POST', `/v1/transactions/${half.json.transactionId}/commit`);
        if (half.status !== 200 || commit.status !== 200)
          throw new Error(`half ${half.status}, commit ${commit.status}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const { p50, p99 } = percentiles(latencies);
  return {
    name: `(g) half message + commit, ${concurrency} concurrent producers`,
    messages: latencies.length,
    seconds: round(seconds),
    msgsPerSec: Math.round(latencies.length / seconds),
    p50Ms: p50,
    p99Ms: p99,
    target: 'all committed (throughput reported)',
    met: latencies.length === count,
  };
}

/**
 * Check-back lateness: `count` half messages sent over `spreadMs` and never decided; a
 * webhook on loopback answers COMMIT. Lateness is when the webhook got the check minus
 * the half message's send time plus `firstCheckAfterMs` (one machine, one clock). Target
 * p99 <= 1 s, like delayed delivery.
 */
export async function checkBackLateness(client: BenchClient, count: number, spreadMs: number): Promise<ScenarioResult> {
  const firstCheckAfterMs = 2_000;
  const sentAt = new Map<string, number>();
  const lateness: number[] = [];
  const webhook = createServer(async (request, response) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    const { transactionId } = JSON.parse(text) as { transactionId: string };
    const sent = sentAt.get(transactionId);
    if (sent !== undefined) lateness.push(Date.now() - (sent + firstCheckAfterMs));
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"decision":"COMMIT"}');
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/check`;
  try {
    const checker = { type: 'webhook', url, secret: 'bench-secret-0123456789' };
    const { topic, producerGroup } = await transactionTopic(client, 'check', checker, firstCheckAfterMs);
    const started = Date.now();
    for (let i = 0; i < count; i++) {
      const due = started + Math.floor((i * spreadMs) / count);
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      const before = Date.now();
      const half = await client.request<HalfResponse>('POST', `/v1/topics/${topic}/messages`, {
        body: 'x'.repeat(1024),
        producerGroup,
      });
      sentAt.set(half.json.transactionId, before);
    }
    const deadline = Date.now() + firstCheckAfterMs + 30_000;
    while (lateness.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    webhook.closeAllConnections();
    await new Promise((resolve) => webhook.close(resolve));
  }
  const { p50, p99 } = percentiles(lateness);
  return {
    name: `(h) check-back lateness, ${count} undecided over ${spreadMs / 1000} s, webhook`,
    messages: lateness.length,
    seconds: round((spreadMs + firstCheckAfterMs) / 1000),
    msgsPerSec: Math.round(lateness.length / ((spreadMs + firstCheckAfterMs) / 1000)),
    p50Ms: p50,
    p99Ms: p99,
    target: 'every transaction checked once, p99 lateness <= 1,000 ms',
    met: lateness.length === count && p99 <= 1_000,
  };
}
