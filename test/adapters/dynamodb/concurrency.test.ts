import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbStore } from '../../../src/adapters/dynamodb/index.ts';
import { InProcessNotifier } from '../../../src/adapters/system/in-process-notifier.ts';
import { randomIds, systemClock } from '../../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../../src/adapters/system/system-timers.ts';
import { type Broker, createBroker } from '../../../src/core/broker.ts';
import type { SendResult } from '../../../src/core/model.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

const PRODUCERS = 8;
const CONSUMERS = 4;
const MESSAGES = 20_000;
const BATCH = 32;
const TOPIC = 'orders';
const GROUP = 'billing';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

/** Each producer and consumer is its own broker over its own store instance, like separate processes. */
async function brokers(count: number, prefix: string, onSeal: () => void): Promise<Broker[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const store: DynamoDbStore = await aws.openStore({ tablePrefix: prefix, hooks: { onSeal } });
      return createBroker({
        timers: systemTimers,
        store,
        clock: systemClock,
        ids: randomIds(),
        notifier: new InProcessNotifier(),
        pollIntervalMs: 50,
      });
    }),
  );
}

describe('DynamoDB store under concurrency', () => {
  it(`${PRODUCERS} producers and ${CONSUMERS} consumers on 2 queues: ${MESSAGES} messages, none lost, none stored twice, offsets dense`, async () => {
    const prefix = `c${randomBytes(4).toString('hex')}`;
    let seals = 0;
    const onSeal = () => {
      seals++;
    };
    const [admin] = await brokers(1, prefix, onSeal);
    await admin!.catalog.putTopic(TOPIC, { queueCount: 2 });
    await admin!.catalog.putGroup(GROUP, { subscriptions: [{ topic: TOPIC, tagExpression: '*' }] });
    const producers = await brokers(PRODUCERS, prefix, onSeal);
    const consumers = await brokers(CONSUMERS, prefix, onSeal);

    const sent: { producer: number; results: SendResult[] }[] = [];
    const delivered = new Map<string, number>();
    const acked = new Set<string>();
    let producing = true;

    const produce = async (broker: Broker, producer: number) => {
      const perProducer = MESSAGES / PRODUCERS;
      for (let seq = 0; seq < perProducer; seq += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, perProducer - seq) }, (_, i) => ({
          body: new TextEncoder().encode(`p${producer}-m${seq + i}`),
        }));
        sent.push({ producer, results: await broker.producer.send(TOPIC, batch) });
      }
    };
    const consume = async (broker: Broker) => {
      // Alone it takes about 40 s; beside the rest of the suite on two cores, several times that.
      const deadline = Date.now() + 420_000;
      while ((producing || acked.size < MESSAGES) && Date.now() < deadline) {
        const messages = await broker.consumer.receive(GROUP, { maxMessages: 32 });
        if (messages.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          continue;
        }
        for (const m of messages) delivered.set(m.msgId, (delivered.get(m.msgId) ?? 0) + 1);
        const results = await broker.settlement.ack(
          GROUP,
          messages.map((m) => m.receiptHandle),
        );
        results.forEach((result, i) => {
          if (result.ok) acked.add(messages[i]!.msgId);
        });
      }
    };

    const consuming = consumers.map(consume);
    await Promise.all(producers.map(produce));
    producing = false;
    await Promise.all(consuming);

    const results = sent.flatMap((batch) => batch.results);
    expect(results).toHaveLength(MESSAGES);
    expect(results.every((result) => !result.duplicate)).toBe(true);
    // None stored twice, none lost: every send has its own msgId and position, and each was delivered and acked.
    expect(new Set(results.map((r) => r.msgId)).size).toBe(MESSAGES);
    expect(acked.size).toBe(MESSAGES);
    for (const r of results) expect(acked.has(r.msgId)).toBe(true);
    // Dense per-queue offsets: exactly 0..n-1 on each queue.
    for (const queueId of [0, 1]) {
      const offsets = results
        .filter((r) => r.queueId === queueId)
        .map((r) => r.queueOffset ?? -1)
        .sort((a, b) => a - b);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    // Increasing in store order: each producer's later sends sit at higher offsets of a queue.
    for (let producer = 0; producer < PRODUCERS; producer++) {
      for (const queueId of [0, 1]) {
        const mine = sent
          .filter((batch) => batch.producer === producer)
          .flatMap((batch) => batch.results)
          .filter((r) => r.queueId === queueId)
          .map((r) => r.queueOffset ?? -1);
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
      }
    }
    // What the queues hold is exactly what was sent, once each.
    const store = admin!.store;
    const stored: string[] = [];
    for (const queueId of [0, 1]) {
      for (let from = 0; ; ) {
        const read = await store.readQueue(TOPIC, queueId, from, 1_000, Date.now());
        stored.push(...read.messages.map((m) => new TextDecoder().decode(m.body)));
        if (read.nextOffset === from) break;
        from = read.nextOffset;
      }
    }
    expect(stored).toHaveLength(MESSAGES);
    expect(new Set(stored).size).toBe(MESSAGES);
    // No writer died, so no reader ever had to seal a hole.
    expect(seals).toBe(0);
    const redeliveries = [...delivered.values()].filter((n) => n > 1).length;
    expect(redeliveries).toBe(0);
  }, 480_000);
});
