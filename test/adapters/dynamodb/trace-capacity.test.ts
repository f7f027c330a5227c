import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DynamoDbStore } from '../../../src/adapters/dynamodb/index.ts';
import { InProcessNotifier } from '../../../src/adapters/system/in-process-notifier.ts';
import { randomIds, systemClock } from '../../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../../src/adapters/system/system-timers.ts';
import { createBroker } from '../../../src/core/broker.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

let aws: LocalAws;
let store: DynamoDbStore;
beforeAll(async () => {
  aws = await startLocalAws();
  store = await aws.openStore();
});
afterAll(async () => {
  await aws?.stop();
});

/**
 * What the lifecycle trace adds to a message's send, receive and ack on DynamoDB, in write
 * units per message (ReturnConsumedCapacity on DynamoDB Local): sends write no trace at all
 * (the stored message is its own SENT record), each received batch's DELIVERED events share
 * one item per 64 offsets of a queue, as do the ACKED events of one ack call, and those
 * items are stored deflated, so each is one write unit.
 */
async function traceWcuPerMessage(messages: number, batch: number): Promise<number> {
  const broker = createBroker({
    timers: systemTimers,
    store,
    clock: systemClock,
    ids: randomIds(),
    notifier: new InProcessNotifier(),
  });
  const topic = `trace${randomBytes(3).toString('hex')}`;
  const group = `${topic}-g`;
  await broker.catalog.putTopic(topic, { queueCount: 1 });
  await broker.catalog.putGroup(group, { subscriptions: [{ topic, tagExpression: '*' }] });
  const body = new Uint8Array(randomBytes(1024));
  store.capacity.reset();
  for (let sent = 0; sent < messages; sent += batch) {
    await broker.producer.send(
      topic,
      Array.from({ length: batch }, () => ({ body })),
    );
  }
  let acked = 0;
  while (acked < messages) {
    const received = await broker.consumer.receive(group, { maxMessages: batch });
    const results = await broker.settlement.ack(
      group,
      received.map((message) => message.receiptHandle),
    );
    acked += results.filter((result) => result.ok).length;
  }
  await broker.tracer.settled();
  expect(broker.tracer.failures).toBe(0);
  const trace = store.capacity.snapshot().byOperation['trace.append'];
  // Every message was traced: its DELIVERED and ACKED events are there.
  const [last] = await store.readQueue(topic, 0, messages - 1, 1, Date.now()).then((read) => read.messages);
  const events = await store.listTrace([{ topic, queueId: 0, queueOffset: last?.queueOffset ?? -1 }], Date.now());
  expect(events.map((record) => record.event.type).sort()).toEqual(['ACKED', 'DELIVERED']);
  return (trace?.wcu ?? 0) / messages;
}

it('adds 2 WCU per batch of 16 end to end (one DELIVERED and one ACKED item, 1 write unit each)', async () => {
  const perMessage = await traceWcuPerMessage(256, 16);
  console.log(`trace cost, batches of 16: ${perMessage.toFixed(3)} WCU per message`);
  // The goal was at most 0.5; undeflated JSON items cost 0.313.
  expect(perMessage).toBeLessThanOrEqual(2 / 16);
}, 120_000);

it('adds about 2 WCU per message when every message is received and acked alone', async () => {
  const perMessage = await traceWcuPerMessage(32, 1);
  console.log(`trace cost, single messages: ${perMessage.toFixed(3)} WCU per message`);
  expect(perMessage).toBeLessThanOrEqual(2);
}, 120_000);
