import { runConcurrent } from './http-client.ts';
import { RespConnection, type RespValue } from './resp-client.ts';
import { BODY_1KIB, type ScenarioResult } from './scenarios.ts';
import { nowMs, percentiles, round } from './stats.ts';

/**
 * The five core scenarios (a)-(e) against Redis streams, with the broker scenarios' 1 KiB
 * bodies and client concurrency: XADD for a send, MULTI/EXEC of 32 XADDs for a batch (all
 * or nothing, as a broker batch is), XREADGROUP + XACK for receive and ack. With
 * `appendfsync always` Redis fsyncs its append-only file before it answers, so every reply
 * counted here is as durable as a broker confirm.
 */

type Entry = [id: string, fields: string[]];

function result(
  name: string,
  messages: number,
  seconds: number,
  latencies: number[] | undefined,
  msgsPerSec = Math.round(messages / seconds),
): ScenarioResult {
  const stats = latencies ? percentiles(latencies) : undefined;
  return {
    name,
    messages,
    seconds: round(seconds),
    msgsPerSec,
    p50Ms: stats?.p50,
    p99Ms: stats?.p99,
    target: '(reference)',
    met: true,
  };
}

/** The entries of an XREADGROUP reply on one stream (null when it timed out empty). */
function entriesOf(reply: RespValue): Entry[] {
  if (reply === null) return [];
  const streams = reply as [string, Entry[]][];
  return streams[0]?.[1] ?? [];
}

/** (a) one XADD at a time. */
export async function redisSequentialSends(port: number, count: number): Promise<ScenarioResult> {
  const redis = await RespConnection.open(port);
  const stream = `seq-${Date.now()}`;
  const latencies: number[] = [];
  const started = nowMs();
  for (let i = 0; i < count; i++) {
    const t0 = nowMs();
    await redis.command('XADD', stream, '*', 'body', BODY_1KIB);
    latencies.push(nowMs() - t0);
  }
  const seconds = (nowMs() - started) / 1000;
  redis.close();
  return result('(a) sequential single sends', count, seconds, latencies);
}

/** (b) single XADDs with `inFlight` outstanding, pipelined on one connection. */
export async function redisConcurrentSends(port: number, count: number, inFlight: number): Promise<ScenarioResult> {
  const redis = await RespConnection.open(port);
  const stream = `par-${Date.now()}`;
  const latencies: number[] = new Array(count);
  const started = nowMs();
  await runConcurrent(count, inFlight, async (i) => {
    const t0 = nowMs();
    await redis.command('XADD', stream, '*', 'body', BODY_1KIB);
    latencies[i] = nowMs() - t0;
  });
  const seconds = (nowMs() - started) / 1000;
  redis.close();
  return result(`(b) single sends, ${inFlight} in flight`, count, seconds, latencies);
}

/** One batch of 32: MULTI, 32 XADDs, EXEC, pipelined; resolves when EXEC answers. */
async function addBatch(redis: RespConnection, stream: string): Promise<void> {
  const replies: Promise<RespValue>[] = [redis.command('MULTI')];
  for (let j = 0; j < 32; j++) replies.push(redis.command('XADD', stream, '*', 'body', BODY_1KIB));
  replies.push(redis.command('EXEC'));
  await Promise.all(replies);
}

/** (c) batches of 32 in MULTI/EXEC, `inFlight` batches outstanding on one connection. */
export async function redisBatchedSends(
  port: number,
  batches: number,
  inFlight: number,
  stream = `batch-${Date.now()}`,
): Promise<ScenarioResult> {
  const redis = await RespConnection.open(port);
  const latencies: number[] = new Array(batches);
  const started = nowMs();
  await runConcurrent(batches, inFlight, async (i) => {
    const t0 = nowMs();
    await addBatch(redis, stream);
    latencies[i] = nowMs() - t0;
  });
  const seconds = (nowMs() - started) / 1000;
  redis.close();
  return result(`(c) batched sends of 32, ${inFlight} in flight`, batches * 32, seconds, latencies);
}

/** (d) `consumers` connections reading 32 at a time with XREADGROUP and XACKing them. */
export async function redisReceiveAndAck(port: number, batches: number, consumers: number): Promise<ScenarioResult> {
  const stream = `cons-${Date.now()}`;
  const admin = await RespConnection.open(port);
  await admin.command('XGROUP', 'CREATE', stream, 'g', '0', 'MKSTREAM');
  admin.close();
  await redisBatchedSends(port, batches, 8, stream);
  const total = batches * 32;
  let consumed = 0;
  const started = nowMs();
  await Promise.all(
    Array.from({ length: consumers }, async (_, c) => {
      const redis = await RespConnection.open(port);
      while (consumed < total) {
        const reply = await redis.command('XREADGROUP', 'GROUP', 'g', `c${c}`, 'COUNT', 32, 'STREAMS', stream, '>');
        const entries = entriesOf(reply);
        if (entries.length === 0) break;
        consumed += entries.length;
        await redis.command('XACK', stream, 'g', ...entries.map(([id]) => id));
      }
      redis.close();
    }),
  );
  const seconds = (nowMs() - started) / 1000;
  if (consumed !== total) throw new Error(`redis (d) consumed ${consumed} of ${total}`);
  return result(`(d) receive+ack, ${consumers} consumers, batches of 32`, total, seconds, undefined);
}

/** (e) send start -> received by one of two blocking XREADGROUP consumers, at a fixed rate. */
export async function redisEndToEndLatency(port: number, ratePerSec: number, seconds: number): Promise<ScenarioResult> {
  const stream = `e2e-${Date.now()}`;
  const producer = await RespConnection.open(port);
  await producer.command('XGROUP', 'CREATE', stream, 'g', '$', 'MKSTREAM');
  const total = ratePerSec * seconds;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  let done = false;
  const consumer = async (c: number) => {
    const redis = await RespConnection.open(port);
    const acks: Promise<RespValue>[] = [];
    while (!done) {
      const reply = await redis.command(
        'XREADGROUP',
        'GROUP',
        'g',
        `c${c}`,
        'COUNT',
        32,
        'BLOCK',
        1000,
        'STREAMS',
        stream,
        '>',
      );
      const t = nowMs();
      const entries = entriesOf(reply);
      for (const [, fields] of entries) {
        const start = sentAt.get((fields[1] ?? '').slice(0, 12));
        if (start !== undefined) latencies.push(t - start);
        received++;
      }
      // Acked without waiting, as the broker's (e) does; awaited before the connection closes.
      if (entries.length > 0) acks.push(redis.command('XACK', stream, 'g', ...entries.map(([id]) => id)));
      if (received >= total) done = true;
    }
    await Promise.all(acks);
    redis.close();
  };
  const consumers = [consumer(0), consumer(1)];
  const started = nowMs();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / ratePerSec;
    const wait = due - nowMs();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const id = String(i).padStart(12, '0');
    sentAt.set(id, nowMs());
    sends.push(producer.command('XADD', stream, '*', 'body', id + BODY_1KIB.slice(12)));
  }
  await Promise.all(sends);
  const deadline = nowMs() + 10_000;
  while (received < total && nowMs() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  done = true;
  await Promise.all(consumers);
  producer.close();
  return result(`(e) end-to-end latency at ${ratePerSec} msgs/s`, latencies.length, seconds, latencies, ratePerSec);
}
