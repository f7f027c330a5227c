import { type BenchClient, runConcurrent } from './http-client.ts';
import { BODY_1KIB, type ScenarioResult } from './scenarios.ts';
import { nowMs, round } from './stats.ts';

/* Ordered (FIFO) messages: an orderly group draining many message groups at once. */

interface Received {
  messages: { receiptHandle: string; messageGroup?: string; body: string }[];
}

/** A FIFO topic of 8 queues with `messageGroups` groups of `perGroup` messages each, sent in batches of 32 spanning groups. */
async function fillFifoTopic(client: BenchClient, messageGroups: number, perGroup: number) {
  const topic = `bench-fifo-${Date.now()}`;
  const group = `${topic}-g`;
  await client.request('PUT', `/v1/topics/${topic}`, { messageType: 'FIFO', queueCount: 8 });
  await client.request('PUT', `/v1/groups/${group}`, {
    subscriptions: [{ topic, tagExpression: '*' }],
    orderly: true,
  });
  const all = Array.from({ length: perGroup * messageGroups }, (_, i) => ({
    body: `${Math.floor(i / messageGroups)}:${BODY_1KIB}`,
    messageGroup: `mg-${i % messageGroups}`,
  }));
  const batches = Math.ceil(all.length / 32);
  // Batches in order, one at a time: each group's messages must be sent in order.
  await runConcurrent(batches, 1, async (i) => {
    await client.request('POST', `/v1/topics/${topic}/messages`, { messages: all.slice(i * 32, i * 32 + 32) });
  });
  return { topic, group, total: all.length };
}

/** Receives and acks everything with `consumers` consumers; throws if a message group came out of order. */
async function drainOrderly(client: BenchClient, group: string, total: number, consumers: number, batch = 32) {
  const next = new Map<string, number>();
  let consumed = 0;
  let idle = 0;
  await Promise.all(
    Array.from({ length: consumers }, async () => {
      while (consumed < total && idle < 200) {
        const { json } = await client.request<Received>('POST', `/v1/groups/${group}/receive`, {
          maxMessages: batch,
          invisibleDurationMs: 600_000,
        });
        if (json.messages.length === 0) {
          idle++;
          continue;
        }
        idle = 0;
        for (const message of json.messages) {
          const index = Number(message.body.slice(0, message.body.indexOf(':')));
          const key = message.messageGroup ?? '';
          if ((next.get(key) ?? 0) !== index) throw new Error(`${key} out of order: got ${index}`);
          next.set(key, index + 1);
        }
        consumed += json.messages.length;
        await client.request('POST', `/v1/groups/${group}/ack`, {
          receiptHandles: json.messages.map((m) => m.receiptHandle),
        });
      }
    }),
  );
  if (consumed < total) throw new Error(`Only ${consumed} of ${total} ordered messages were consumed.`);
}

/** (i) ordered receive+ack: an orderly group on a FIFO topic with 100 message groups, 4 consumers. */
export async function orderedReceiveAndAck(
  client: BenchClient,
  perGroup: number,
  messageGroups = 100,
  consumers = 4,
): Promise<ScenarioResult> {
  const { group, total } = await fillFifoTopic(client, messageGroups, perGroup);
  const started = nowMs();
  await drainOrderly(client, group, total, consumers);
  const seconds = (nowMs() - started) / 1000;
  return {
    name: `(i) ordered receive+ack, ${messageGroups} message groups, ${consumers} consumers`,
    messages: total,
    seconds: round(seconds),
    msgsPerSec: Math.round(total / seconds),
    target: 'reported',
    met: true,
  };
}

type Meter = { snapshot(): { total: { wcu: number; rcu: number } }; reset(): void };

/** Capacity units per 1 KiB message of an orderly group on DynamoDB: send, receive and ack of 100 message groups. */
export async function measureOrderedCapacity(client: BenchClient, meter: Meter, perGroup: number) {
  meter.reset();
  const { group, total } = await fillFifoTopic(client, 100, perGroup);
  const send = meter.snapshot().total;
  meter.reset();
  await drainOrderly(client, group, total, 1);
  const consume = meter.snapshot().total;
  return [
    {
      phase: 'ordered send (batches of 32, 100 message groups)',
      messages: total,
      wcuPerMsg: round(send.wcu / total, 3),
      rcuPerMsg: round(send.rcu / total, 3),
    },
    {
      phase: 'ordered receive+ack (orderly group, batches of 32)',
      messages: total,
      wcuPerMsg: round(consume.wcu / total, 3),
      rcuPerMsg: round(consume.rcu / total, 3),
    },
  ];
}
