import { describe, expect, it } from 'vitest';
import { Producer, PushConsumer, SimpleConsumer } from '../../src/sdk/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import type { StartServer } from '../support/server.ts';
import { expectApiError, unique, useServer } from './helpers.ts';

/** Ordered (FIFO) messages over HTTP: message groups, orderly groups, blocking per message group. */
export function describeFifoSuite(label: string, start: StartServer): void {
  describe(`${label}: ordered (FIFO) messages`, () => {
    const clock = new ManualClock();
    const server = useServer(start, () => ({ clock }));

    it('sends a message group to one queue and hands it to an orderly group one message at a time', async () => {
      const { client } = server();
      const topic = unique('fifo');
      const group = unique('orderly');
      await client.createTopic(topic, { messageType: 'FIFO', queueCount: 4 });
      const created = await client.createGroup(group, { subscriptions: [{ topic }], orderly: true });
      expect(created.orderly).toBe(true);
      const producer = new Producer(client);
      // One batch spanning message groups (and queues): split per queue, each part in order.
      const sent = await producer.sendBatch(topic, [
        { body: 'a1', messageGroup: 'a' },
        { body: 'b1', messageGroup: 'b' },
        { body: 'a2', messageGroup: 'a' },
        { body: 'b2', messageGroup: 'b' },
      ]);
      expect(sent[0]?.queueId).toBe(sent[2]?.queueId);
      expect(sent[1]?.queueId).toBe(sent[3]?.queueId);
      expect((sent[2]?.queueOffset ?? 0) - (sent[0]?.queueOffset ?? 0)).toBe(1);
      const consumer = new SimpleConsumer(client, { group });
      const first = await consumer.receive({ maxMessages: 32 });
      expect(first.map((m) => m.text()).sort()).toEqual(['a1', 'b1']);
      expect(first.map((m) => m.messageGroup).sort()).toEqual(['a', 'b']);
      // Nothing more while a1 and b1 are in flight.
      expect(await consumer.receive({ maxMessages: 32 })).toEqual([]);
      const a1 = first.find((m) => m.text() === 'a1');
      const b1 = first.find((m) => m.text() === 'b1');
      if (!a1 || !b1) throw new Error('a1 and b1 were received');
      // b is poisoned for now (nacked, back after its backoff); a goes on.
      await consumer.nack(b1);
      await consumer.ack(a1);
      const second = await consumer.receive({ maxMessages: 32 });
      expect(second.map((m) => m.text())).toEqual(['a2']);
      clock.advance(10_000);
      const third = await consumer.receive({ maxMessages: 32 });
      expect(third.map((m) => [m.text(), m.deliveryAttempt])).toEqual([['b1', 2]]);
      await consumer.ack(third);
      expect((await consumer.receive({ maxMessages: 32 })).map((m) => m.text())).toEqual(['b2']);
    });

    it('lets a non-orderly group consume a FIFO topic concurrently', async () => {
      const { client } = server();
      const topic = unique('fifo');
      const group = unique('plain');
      await client.createTopic(topic, { messageType: 'FIFO', queueCount: 2 });
      await client.createGroup(group, { subscriptions: [{ topic }] });
      const bodies = ['x1', 'x2', 'x3'];
      await new Producer(client).sendBatch(
        topic,
        bodies.map((body) => ({ body, messageGroup: 'x' })),
      );
      const received = await new SimpleConsumer(client, { group }).receive({ maxMessages: 32 });
      expect(received.map((m) => m.text())).toEqual(bodies);
    });

    it('keeps the order per clientId for a broadcasting orderly group', async () => {
      const { client } = server();
      const topic = unique('fifo');
      const group = unique('fanout');
      await client.createTopic(topic, { messageType: 'FIFO', queueCount: 2 });
      await client.createGroup(group, { subscriptions: [{ topic }], consumeMode: 'BROADCASTING', orderly: true });
      await new Producer(client).sendBatch(topic, [
        { body: 'k1', messageGroup: 'k' },
        { body: 'k2', messageGroup: 'k' },
      ]);
      const one = new SimpleConsumer(client, { group, clientId: 'one' });
      const two = new SimpleConsumer(client, { group, clientId: 'two' });
      const [firstOne, firstTwo] = [await one.receive({ maxMessages: 32 }), await two.receive({ maxMessages: 32 })];
      expect(firstOne.map((m) => m.text())).toEqual(['k1']);
      expect(firstTwo.map((m) => m.text())).toEqual(['k1']);
      // Each client waits for its own ack, not the other's.
      await one.ack(firstOne);
      expect((await one.receive({ maxMessages: 32 })).map((m) => m.text())).toEqual(['k2']);
      expect(await two.receive({ maxMessages: 32 })).toEqual([]);
    });

    it('refuses to change orderly on an existing group (409)', async () => {
      const { client } = server();
      const topic = unique('fifo');
      const group = unique('orderly');
      await client.createTopic(topic, { messageType: 'FIFO' });
      await client.createGroup(group, { subscriptions: [{ topic }], orderly: true });
      await expectApiError(client.createGroup(group, { subscriptions: [{ topic }], orderly: false }), {
        code: 'GROUP_CONFLICT',
        status: 409,
      });
      // Left out, it stays as it is.
      expect((await client.createGroup(group, { subscriptions: [{ topic }] })).orderly).toBe(true);
      const plain = unique('plain');
      await client.createGroup(plain, { subscriptions: [{ topic }] });
      await expectApiError(client.createGroup(plain, { subscriptions: [{ topic }], orderly: true }), {
        code: 'GROUP_CONFLICT',
        status: 409,
      });
    });

    it('runs a PushConsumer in orderly mode: serial within a message group, parallel across groups', async () => {
      const { client } = server();
      const topic = unique('fifo');
      const group = unique('orderly');
      await client.createTopic(topic, { messageType: 'FIFO', queueCount: 2 });
      await client.createGroup(group, { subscriptions: [{ topic }], orderly: true });
      const names = ['p', 'q', 'r', 's'];
      await new Producer(client).sendBatch(
        topic,
        [0, 1, 2, 3, 4].flatMap((i) => names.map((name) => ({ body: `${name}${i}`, messageGroup: name }))),
      );
      const seen = new Map<string, string[]>(names.map((name) => [name, []]));
      const running = new Set<string>();
      let peak = 0;
      let overlapped = false;
      const consumer = new PushConsumer(client, {
        group,
        concurrency: 4,
        orderly: true,
        handler: async (message) => {
          const name = message.messageGroup ?? '';
          if (running.has(name)) overlapped = true;
          running.add(name);
          peak = Math.max(peak, running.size);
          await new Promise((resolve) => setTimeout(resolve, 5));
          seen.get(name)?.push(message.text());
          running.delete(name);
        },
      });
      consumer.start();
      const deadline = Date.now() + 10_000;
      while ([...seen.values()].some((list) => list.length < 5) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await consumer.stop();
      for (const name of names) expect(seen.get(name)).toEqual([0, 1, 2, 3, 4].map((i) => `${name}${i}`));
      expect(overlapped).toBe(false);
      expect(peak).toBeGreaterThan(1);
    });

    it('starts an orderly group afresh on a topic deleted and re-created: old deliveries neither block nor settle new ones', async () => {
      const { client } = server();
      const topic = unique('fifo');
      const group = unique('orderly');
      await client.createTopic(topic, { messageType: 'FIFO', queueCount: 1 });
      await client.createGroup(group, { subscriptions: [{ topic }], orderly: true });
      const producer = new Producer(client);
      await producer.sendBatch(topic, [
        { body: 'old1', messageGroup: 'g' },
        { body: 'old2', messageGroup: 'g' },
      ]);
      const consumer = new SimpleConsumer(client, { group });
      const [old1] = await consumer.receive({ maxMessages: 8 });
      expect(old1?.text()).toBe('old1');
      await client.deleteTopic(topic);
      await client.createTopic(topic, { messageType: 'FIFO', queueCount: 1 });
      await producer.sendBatch(topic, [
        { body: 'new1', messageGroup: 'g' },
        { body: 'new2', messageGroup: 'g' },
      ]);
      // old1's delivery (same queue and offset as new1) is gone with its topic: group g is not in flight.
      const [new1, ...rest] = await consumer.receive({ maxMessages: 8 });
      expect([new1?.text(), rest]).toEqual(['new1', []]);
      if (!old1 || !new1) throw new Error('old1 and new1 were received');
      // The old receipt handle settles nothing of the new topic.
      expect((await consumer.ack(old1))[0]?.ok).toBe(false);
      expect(await consumer.receive({ maxMessages: 8 })).toEqual([]);
      expect((await consumer.ack(new1))[0]?.ok).toBe(true);
      expect((await consumer.receive({ maxMessages: 8 })).map((m) => m.text())).toEqual(['new2']);
    });

    it("redrives an orderly group's dead letter back into its message group, after the delivery in flight", async () => {
      const { client } = server();
      const topic = unique('fifo');
      const group = unique('orderly');
      await client.createTopic(topic, { messageType: 'FIFO', queueCount: 2 });
      await client.createGroup(group, { subscriptions: [{ topic }], orderly: true, maxDeliveryAttempts: 1 });
      await new Producer(client).sendBatch(
        topic,
        ['m1', 'm2', 'm3'].map((body) => ({ body, messageGroup: 'g' })),
      );
      const consumer = new SimpleConsumer(client, { group });
      const [m1] = await consumer.receive({ maxMessages: 8 });
      expect(m1?.text()).toBe('m1');
      if (!m1) throw new Error('m1 was received');
      await consumer.nack(m1); // its last attempt: dead-lettered
      const [m2] = await consumer.receive({ maxMessages: 8 });
      expect(m2?.text()).toBe('m2');
      if (!m2) throw new Error('m2 was received');
      expect(await client.redriveDeadLetters(group)).toEqual({ redriven: 1, expired: 0 });
      // m2 is in flight: nothing of group g goes out, the redriven m1 included.
      expect(await consumer.receive({ maxMessages: 8 })).toEqual([]);
      await consumer.ack(m2);
      // m1 has the lowest offset left in group g: it goes next, in its group; m3 waits for it.
      const again = await consumer.receive({ maxMessages: 8 });
      expect(again.map((m) => [m.text(), m.messageGroup])).toEqual([['m1', 'g']]);
      await consumer.ack(again);
      expect((await consumer.receive({ maxMessages: 8 })).map((m) => m.text())).toEqual(['m3']);
    });

    it('hands concurrent receivers of one orderly group at most one message per message group, in order', async () => {
      const { client } = server();
      const topic = unique('fifo');
      const group = unique('orderly');
      await client.createTopic(topic, { messageType: 'FIFO', queueCount: 2 });
      await client.createGroup(group, { subscriptions: [{ topic }], orderly: true });
      const names = Array.from({ length: 20 }, (_, i) => `g${i}`);
      const rounds = 3;
      const producer = new Producer(client);
      for (let i = 0; i < rounds; i++) {
        await producer.sendBatch(
          topic,
          names.map((name) => ({ body: `${i}`, messageGroup: name })),
        );
      }
      const consumers = Array.from({ length: 4 }, () => new SimpleConsumer(client, { group }));
      const acked = new Map<string, string[]>(names.map((name) => [name, []]));
      for (let round = 0; round < 4 * rounds && [...acked.values()].some((a) => a.length < rounds); round++) {
        // All four receive at once: the same queues, the same heads, the same cursor.
        const received = (await Promise.all(consumers.map((c) => c.receive({ maxMessages: 8, waitMs: 0 })))).flat();
        const groups = received.map((m) => m.messageGroup ?? '');
        expect(new Set(groups).size, 'one message per message group in flight').toBe(groups.length);
        for (const message of received) acked.get(message.messageGroup ?? '')?.push(message.text());
        await Promise.all(consumers.map((c, i) => c.ack(received.filter((_, j) => j % consumers.length === i))));
      }
      const inOrder = Array.from({ length: rounds }, (_, i) => `${i}`);
      for (const name of names) expect(acked.get(name), name).toEqual(inOrder);
    }, 120_000); // DynamoDB Local takes seconds per round of four concurrent receives on a busy machine

    it('counts a message group in code points, refuses lone surrogates, and refuses a batch with one bad group whole', async () => {
      const { client } = server();
      const topic = unique('fifo');
      const group = unique('orderly');
      await client.createTopic(topic, { messageType: 'FIFO', queueCount: 4 });
      await client.createGroup(group, { subscriptions: [{ topic }], orderly: true });
      const producer = new Producer(client);
      const longest = '😀'.repeat(128); // 128 characters, 256 UTF-16 units
      for (const bad of ['😀'.repeat(129), 'a\ud800', '\udc00b']) {
        await expectApiError(
          producer.sendBatch(topic, [
            { body: 'fine', messageGroup: 'ok' },
            { body: 'bad', messageGroup: bad },
          ]),
          {
            code: 'INVALID_ARGUMENT',
            status: 400,
          },
        );
      }
      await expectApiError(producer.send(topic, { body: 'none', messageGroup: '' }), {
        code: 'MESSAGE_GROUP_REQUIRED',
        status: 400,
      });
      await producer.send(topic, { body: 'longest', messageGroup: longest });
      const consumer = new SimpleConsumer(client, { group });
      const received = await consumer.receive({ maxMessages: 32 });
      // Nothing of the refused batches was stored: only the one accepted message arrives, with its group intact.
      expect(received.map((m) => [m.text(), m.messageGroup])).toEqual([['longest', longest]]);
    });
  });
}
