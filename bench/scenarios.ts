import { type BenchClient, runConcurrent } from './http-client.ts';
import { nowMs, percentiles, round } from './stats.ts';

export const BODY_1KIB = 'x'.repeat(1024);

export interface ScenarioResult {
  name: string;
  messages: number;
  seconds: number;
  msgsPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  target: string;
  met: boolean;
}

interface SendResponse {
  msgId: string;
}

async function setup(client: BenchClient, topic: string, groups: string[]) {
  await client.request('PUT', `/v1/topics/${topic}`, { queueCount: 8 });
  for (const group of groups) {
    await client.request('PUT', `/v1/groups/${group}`, { subscriptions: [{ topic, tagExpression: '*' }] });
  }
}

/** (a) one send at a time. */
export async function sequentialSends(client: BenchClient, count: number): Promise<ScenarioResult> {
  const topic = `bench-seq-${Date.now()}`;
  await setup(client, topic, []);
  const latencies: number[] = [];
  const started = nowMs();
  for (let i = 0; i < count; i++) {
    const t0 = nowMs();
    await client.request<SendResponse>('POST', `/v1/topics/${topic}/messages`, { body: BODY_1KIB });
    latencies.push(nowMs() - t0);
  }
  const seconds = (nowMs() - started) / 1000;
  const { p50, p99 } = percentiles(latencies);
  const rate = count / seconds;
  return {
    name: '(a) sequential single sends',
    messages: count,
    seconds: round(seconds),
    msgsPerSec: Math.round(rate),
    p50Ms: p50,
    p99Ms: p99,
    target: '>= 2,000/s, p99 <= 2 ms',
    met: rate >= 2000 && p99 <= 2,
  };
}

/** (b) single sends with many in flight: group commit shares one fsync among them. */
export async function concurrentSends(client: BenchClient, count: number, inFlight: number): Promise<ScenarioResult> {
  const topic = `bench-par-${Date.now()}`;
  await setup(client, topic, []);
  const latencies: number[] = new Array(count);
  const started = nowMs();
  await runConcurrent(count, inFlight, async (i) => {
    const t0 = nowMs();
    await client.request('POST', `/v1/topics/${topic}/messages`, { body: BODY_1KIB });
    latencies[i] = nowMs() - t0;
  });
  const seconds = (nowMs() - started) / 1000;
  const { p50, p99 } = percentiles(latencies);
  const rate = count / seconds;
  return {
    name: `(b) single sends, ${inFlight} in flight`,
    messages: count,
    seconds: round(seconds),
    msgsPerSec: Math.round(rate),
    p50Ms: p50,
    p99Ms: p99,
    target: '>= 15,000/s, p99 <= 15 ms',
    met: rate >= 15000 && p99 <= 15,
  };
}

function batchOf(size: number) {
  return { messages: Array.from({ length: size }, () => ({ body: BODY_1KIB })) };
}

/** (c) batches of 32 messages per request. */
export async function batchedSends(
  client: BenchClient,
  batches: number,
  inFlight: number,
  topic = `bench-batch-${Date.now()}`,
  groups: string[] = [],
): Promise<ScenarioResult> {
  await setup(client, topic, groups);
  const latencies: number[] = new Array(batches);
  const started = nowMs();
  await runConcurrent(batches, inFlight, async (i) => {
    const t0 = nowMs();
    await client.request('POST', `/v1/topics/${topic}/messages`, batchOf(32));
    latencies[i] = nowMs() - t0;
  });
  const seconds = (nowMs() - started) / 1000;
  const { p50, p99 } = percentiles(latencies);
  const rate = (batches * 32) / seconds;
  return {
    name: `(c) batched sends of 32, ${inFlight} in flight`,
    messages: batches * 32,
    seconds: round(seconds),
    msgsPerSec: Math.round(rate),
    p50Ms: p50,
    p99Ms: p99,
    target: '>= 35,000 msgs/s',
    met: rate >= 35000,
  };
}

interface ReceiveResponse {
  messages: { receiptHandle: string }[];
}

/** (d) consumers receiving batches of 32 and acking them, over a preloaded backlog. */
export async function receiveAndAck(client: BenchClient, batches: number, consumers: number): Promise<ScenarioResult> {
  const topic = `bench-cons-${Date.now()}`;
  const group = `${topic}-g`;
  await batchedSends(client, batches, 8, topic, [group]);
  const total = batches * 32;
  let consumed = 0;
  const started = nowMs();
  await Promise.all(
    Array.from({ length: consumers }, async () => {
      while (consumed < total) {
        const { json } = await client.request<ReceiveResponse>('POST', `/v1/groups/${group}/receive`, {
          maxMessages: 32,
          waitMs: 0,
        });
        if (json.messages.length === 0) {
          if (consumed >= total) break;
          continue;
        }
        consumed += json.messages.length;
        await client.request('POST', `/v1/groups/${group}/ack`, {
          receiptHandles: json.messages.map((m) => m.receiptHandle),
        });
      }
    }),
  );
  const seconds = (nowMs() - started) / 1000;
  const rate = total / seconds;
  return {
    name: `(d) receive+ack, ${consumers} consumers, batches of 32`,
    messages: total,
    seconds: round(seconds),
    msgsPerSec: Math.round(rate),
    target: '>= 35,000 msgs/s',
    met: rate >= 35000,
  };
}

/** (e) end-to-end latency (send start -> received by a long-polling consumer) at a fixed rate. */
export async function endToEndLatency(
  client: BenchClient,
  ratePerSec: number,
  seconds: number,
): Promise<ScenarioResult> {
  const topic = `bench-e2e-${Date.now()}`;
  const group = `${topic}-g`;
  await setup(client, topic, [group]);
  const total = ratePerSec * seconds;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  let done = false;
  const consumer = async () => {
    while (!done) {
      const { json } = await client.request<{ messages: { receiptHandle: string; body: string }[] }>(
        'POST',
        `/v1/groups/${group}/receive`,
        { maxMessages: 32, waitMs: 1000 },
      );
      const t = nowMs();
      for (const message of json.messages) {
        const start = sentAt.get(message.body.slice(0, 12));
        if (start !== undefined) latencies.push(t - start);
        received++;
      }
      if (json.messages.length > 0) {
        void client.request('POST', `/v1/groups/${group}/ack`, {
          receiptHandles: json.messages.map((m) => m.receiptHandle),
        });
      }
      if (received >= total) done = true;
    }
  };
  const consumers = [consumer(), consumer()];
  const started = nowMs();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / ratePerSec;
    const wait = due - nowMs();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const id = String(i).padStart(12, '0');
    sentAt.set(id, nowMs());
    sends.push(client.request('POST', `/v1/topics/${topic}/messages`, { body: id + BODY_1KIB.slice(12) }));
  }
  await Promise.all(sends);
  const deadline = nowMs() + 10_000;
  while (received < total && nowMs() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  done = true;
  await Promise.all(consumers);
  const { p50, p99 } = percentiles(latencies);
  return {
    name: `(e) end-to-end latency at ${ratePerSec} msgs/s`,
    messages: latencies.length,
    seconds,
    msgsPerSec: ratePerSec,
    p50Ms: p50,
    p99Ms: p99,
    target: 'p99 <= 5 ms',
    met: p99 <= 5 && latencies.length === total,
  };
}

/** POSTs of a 1 KiB body to an empty server, one at a time or with `inFlight` concurrent. */
export async function floorSends(client: BenchClient, count: number, inFlight: number): Promise<ScenarioResult> {
  const latencies: number[] = new Array(count);
  const started = nowMs();
  await runConcurrent(count, inFlight, async (i) => {
    const t0 = nowMs();
    await client.request('POST', '/floor', { body: BODY_1KIB });
    latencies[i] = nowMs() - t0;
  });
  const seconds = (nowMs() - started) / 1000;
  const { p50, p99 } = percentiles(latencies);
  return {
    name: `floor: POST, ${inFlight} in flight`,
    messages: count,
    seconds: round(seconds),
    msgsPerSec: Math.round(count / seconds),
    p50Ms: p50,
    p99Ms: p99,
    target: '(reference)',
    met: true,
  };
}
