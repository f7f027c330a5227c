import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessNotifier } from '../../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../../src/adapters/system/system-timers.ts';
import { createBroker } from '../../../src/core/broker.ts';
import type { MessageRef } from '../../../src/core/model.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

async function objectKeys(prefix: string): Promise<string[]> {
  const page = await aws.s3Client.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => object.Key ?? '');
}

describe('large bodies in S3 (claim check, fauxqs)', () => {
  it('stores bodies above 256 KiB in S3 and hands them out transparently, up to 4 MiB', async () => {
    const store = await aws.openStore();
    const clock = new ManualClock(Date.now());
    const broker = createBroker({
      timers: systemTimers,
      store,
      clock,
      ids: randomIds(),
      notifier: new InProcessNotifier(),
    });
    const topic = `big${randomBytes(3).toString('hex')}`;
    await broker.catalog.putTopic(topic, { queueCount: 1, retentionHours: 1 });
    await broker.catalog.putGroup('readers', { subscriptions: [{ topic, tagExpression: '*' }] });
    const huge = new Uint8Array(randomBytes(4 * 1024 * 1024));
    const edge = new Uint8Array(randomBytes(256 * 1024));
    store.capacity.reset();
    const sent = [
      ...(await broker.producer.send(topic, [{ body: huge }])),
      ...(await broker.producer.send(topic, [{ body: edge }, { body: new Uint8Array([1]) }])),
    ];
    // Only the 4 MiB body went to S3; the 256 KiB one is at the threshold and stays in DynamoDB.
    expect(await objectKeys(`bodies/${topic}/`)).toEqual([`bodies/${topic}/${sent[0]?.msgId}`]);
    const written = store.capacity.snapshot().byOperation['append.put']?.wcu ?? 0;
    expect(written).toBeGreaterThan(256);
    expect(written).toBeLessThan(300);

    const received = await broker.consumer.receive('readers', { maxMessages: 3 });
    expect(received.map((m) => m.body.byteLength)).toEqual([huge.byteLength, edge.byteLength, 1]);
    expect(Buffer.from(received[0]!.body).equals(Buffer.from(huge))).toBe(true);
    expect(Buffer.from(received[1]!.body).equals(Buffer.from(edge))).toBe(true);

    // The retention sweep removes the object with its message.
    clock.advance(3_600_000);
    expect(await broker.maintenance.sweepRetention()).toBeGreaterThanOrEqual(3);
    expect(await objectKeys(`bodies/${topic}/`)).toEqual([]);
  });

  it('deleting a topic removes its bodies, and a store without a bucket refuses them with a clear error', async () => {
    const store = await aws.openStore();
    const broker = createBroker({
      timers: systemTimers,
      store,
      clock: new ManualClock(Date.now()),
      ids: randomIds(),
      notifier: new InProcessNotifier(),
    });
    const topic = `gone${randomBytes(3).toString('hex')}`;
    await broker.catalog.putTopic(topic, { queueCount: 2 });
    await broker.producer.send(topic, [{ body: new Uint8Array(300_000) }, { body: new Uint8Array(300_000) }]);
    expect(await objectKeys(`bodies/${topic}/`)).toHaveLength(2);
    await broker.catalog.deleteTopic(topic);
    expect(await objectKeys(`bodies/${topic}/`)).toEqual([]);

    const bucketless = await aws.openStore({
      s3: undefined,
      tablePrefix: store.tables.messages.replace(/-messages$/, ''),
    });
    const plain = createBroker({
      timers: systemTimers,
      store: bucketless,
      clock: new ManualClock(Date.now()),
      ids: randomIds(),
      notifier: new InProcessNotifier(),
    });
    await plain.catalog.putTopic(topic, { queueCount: 1 });
    // A re-created topic's offsets continue above the deleted one's (a fence against its late writers).
    const [before] = await bucketless.queueOffsets(topic, 1);
    await expect(plain.producer.send(topic, [{ body: new Uint8Array(300_000) }])).rejects.toMatchObject({
      code: 'BODY_TOO_LARGE',
      message: expect.stringContaining('S3'),
    });
    expect((await bucketless.queueOffsets(topic, 1))[0]?.nextOffset).toBe(before?.nextOffset);
  });

  it('loads at most 8 S3 bodies per queue read, so a reader holds at most 32 MiB of them; the rest come next', async () => {
    const store = await aws.openStore();
    const clock = new ManualClock(Date.now());
    const broker = createBroker({
      timers: systemTimers,
      store,
      clock,
      ids: randomIds(),
      notifier: new InProcessNotifier(),
    });
    const topic = `many${randomBytes(3).toString('hex')}`;
    await broker.catalog.putTopic(topic, { queueCount: 1 });
    await broker.catalog.putGroup('bulk', { subscriptions: [{ topic, tagExpression: '*' }] });
    const bodies = Array.from({ length: 12 }, (_, i) => ({ body: new Uint8Array(300_000).fill(i) }));
    await broker.producer.send(topic, bodies);
    const first = await store.readQueue(topic, 0, 0, 32, clock.now());
    expect(first.messages.map((m) => m.body[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(first.nextOffset).toBe(8);
    const rest = await store.readQueue(topic, 0, first.nextOffset, 32, clock.now());
    expect(rest.messages.map((m) => m.body[0])).toEqual([8, 9, 10, 11]);
    expect(rest.nextOffset).toBe(12);
    // Through a receive: every message once, in order.
    const received = [
      ...(await broker.consumer.receive('bulk', { maxMessages: 32 })),
      ...(await broker.consumer.receive('bulk', { maxMessages: 32 })),
    ];
    expect(received.map((m) => m.queueOffset)).toEqual([...Array(12).keys()]);
  });

  it('redelivers large messages a few at a time when a receive has a body budget; expiry dead-letters them likewise', async () => {
    const store = await aws.openStore();
    // The real store, watched: how many messages each getMessages call loads at once.
    const loads: number[] = [];
    const watched = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'getMessages') {
          return (refs: readonly MessageRef[], now: number) => {
            loads.push(refs.length);
            return target.getMessages(refs, now);
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const clock = new ManualClock(Date.now());
    const broker = createBroker({
      timers: systemTimers,
      store: watched,
      clock,
      ids: randomIds(),
      notifier: new InProcessNotifier(),
    });
    const topic = `due${randomBytes(3).toString('hex')}`;
    await broker.catalog.putTopic(topic, { queueCount: 1 });
    await broker.catalog.putGroup('slow', { subscriptions: [{ topic, tagExpression: '*' }], maxDeliveryAttempts: 2 });
    const bodies = Array.from({ length: 12 }, (_, i) => ({ body: new Uint8Array(300_000).fill(i) }));
    await broker.producer.send(topic, bodies);
    for (let i = 0; i < 2; i++) await broker.consumer.receive('slow', { maxMessages: 32, invisibleDurationMs: 10_000 });
    clock.advance(10_001);
    loads.length = 0;
    const again = await broker.consumer.receive('slow', { maxMessages: 32, maxBodyBytes: 100_000_000 });
    expect(again).toHaveLength(12);
    expect(Math.max(...loads)).toBeLessThanOrEqual(8);
    // Attempt 2 of 2 expires (default invisible duration 30 s) with nobody receiving.
    clock.advance(30_001);
    loads.length = 0;
    expect(await broker.maintenance.deadLetterExhausted()).toBe(12);
    expect(Math.max(...loads)).toBeLessThanOrEqual(8);
  });
});
