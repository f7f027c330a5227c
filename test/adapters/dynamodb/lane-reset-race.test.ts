import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DynamoDbStore } from '../../../src/adapters/dynamodb/index.ts';
import { InProcessNotifier } from '../../../src/adapters/system/in-process-notifier.ts';
import { randomIds, systemClock } from '../../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../../src/adapters/system/system-timers.ts';
import { type Broker, createBroker } from '../../../src/core/broker.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

let aws: LocalAws;
let store: DynamoDbStore;
let broker: Broker;
/** Runs once, between the reset's cursor write and its lease drop. */
let betweenResetWrites: (() => Promise<void>) | undefined;

beforeAll(async () => {
  aws = await startLocalAws();
  store = await aws.openStore({
    hooks: {
      async afterResetCursor() {
        const run = betweenResetWrites;
        betweenResetWrites = undefined;
        await run?.();
      },
    },
  });
  broker = createBroker({
    timers: systemTimers,
    store,
    clock: systemClock,
    ids: randomIds(),
    notifier: new InProcessNotifier(),
  });
});
afterAll(async () => {
  await aws?.stop();
});

/**
 * An offset reset on DynamoDB is two steps (set the cursor, then drop the lane's leases of
 * the queue): a receive that claims from the new position between them must keep its leases,
 * and leases from before the reset must stop settling.
 */
it('keeps the leases of a receive that claimed from the new position while the reset ran', async () => {
  const topic = `reset${randomBytes(3).toString('hex')}`;
  const group = `${topic}-g`;
  await broker.catalog.putTopic(topic, { queueCount: 1 });
  await broker.catalog.putGroup(group, { subscriptions: [{ topic, tagExpression: '*' }] });
  await broker.producer.send(
    topic,
    Array.from({ length: 10 }, (_, i) => ({ body: new TextEncoder().encode(`m${i}`) })),
  );
  const before = await broker.consumer.receive(group, { maxMessages: 3 });
  expect(before.map((message) => message.queueOffset)).toEqual([0, 1, 2]);

  let during: Awaited<ReturnType<typeof broker.consumer.receive>> = [];
  betweenResetWrites = async () => {
    during = await broker.consumer.receive(group, { maxMessages: 4 });
  };
  await broker.offsets.resetOffset(group, { topic, offsets: [{ queueId: 0, offset: 5 }] });
  expect(during.map((message) => message.queueOffset)).toEqual([5, 6, 7, 8]);

  const stale = await broker.settlement.ack(
    group,
    before.map((message) => message.receiptHandle),
  );
  expect(stale.map((result) => result.ok)).toEqual([false, false, false]);
  const fresh = await broker.settlement.ack(
    group,
    during.map((message) => message.receiptHandle),
  );
  expect(fresh.map((result) => result.ok)).toEqual([true, true, true, true]);
});

it('keeps a lease item a receive from the new position merged into while the reset ran', async () => {
  const topic = `reset${randomBytes(3).toString('hex')}`;
  const group = `${topic}-g`;
  await broker.catalog.putTopic(topic, { queueCount: 1 });
  await broker.catalog.putGroup(group, { subscriptions: [{ topic, tagExpression: '*' }] });
  await broker.producer.send(
    topic,
    Array.from({ length: 6 }, (_, i) => ({ body: new TextEncoder().encode(`m${i}`) })),
  );
  // The pre-reset leases sit in the item of the claim from offset 0, where the reset goes back to.
  const before = await broker.consumer.receive(group, { maxMessages: 3 });
  let during: Awaited<ReturnType<typeof broker.consumer.receive>> = [];
  betweenResetWrites = async () => {
    during = await broker.consumer.receive(group, { maxMessages: 4 });
  };
  await broker.offsets.resetOffset(group, { topic, offsets: [{ queueId: 0, offset: 0 }] });
  expect(during.map((message) => message.queueOffset)).toEqual([0, 1, 2, 3]);

  const stale = await broker.settlement.ack(
    group,
    before.map((message) => message.receiptHandle),
  );
  expect(stale.map((result) => result.ok)).toEqual([false, false, false]);
  const fresh = await broker.settlement.ack(
    group,
    during.map((message) => message.receiptHandle),
  );
  expect(fresh.map((result) => result.ok)).toEqual([true, true, true, true]);
});

it('drops the old leases when a reset that died between its two steps runs again', async () => {
  const topic = `reset${randomBytes(3).toString('hex')}`;
  const group = `${topic}-g`;
  await broker.catalog.putTopic(topic, { queueCount: 1 });
  await broker.catalog.putGroup(group, { subscriptions: [{ topic, tagExpression: '*' }] });
  await broker.producer.send(
    topic,
    Array.from({ length: 4 }, (_, i) => ({ body: new TextEncoder().encode(`m${i}`) })),
  );
  const before = await broker.consumer.receive(group, { maxMessages: 2 });
  betweenResetWrites = async () => {
    throw new Error('the process died here');
  };
  const reset = { topic, offsets: [{ queueId: 0, offset: 3 }] };
  await expect(broker.offsets.resetOffset(group, reset)).rejects.toThrow('the process died here');
  // The cursor moved; the old leases are still there until the reset runs again.
  const after = await broker.consumer.receive(group, { maxMessages: 4 });
  expect(after.map((message) => message.queueOffset)).toEqual([3]);
  await broker.offsets.resetOffset(group, reset);
  const stale = await broker.settlement.ack(
    group,
    before.map((message) => message.receiptHandle),
  );
  expect(stale.map((result) => result.ok)).toEqual([false, false]);
});
