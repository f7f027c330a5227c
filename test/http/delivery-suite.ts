import { describe, expect, it } from 'vitest';
import { Producer, SimpleConsumer } from '../../src/sdk/index.ts';
import type { StartServer } from '../support/server.ts';
import { storedCount, topicWithGroups, unique, useServer } from './helpers.ts';

/** Fan-out, tag filtering, broadcasting, idempotent sends and body round-trips. */
export function describeDeliverySuite(label: string, start: StartServer): void {
  describe(`${label}: delivery`, () => {
    const server = useServer(start);

    it('fans every message out to each subscribed group', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 2);
      const producer = new Producer(client);
      const sent = await producer.sendBatch(topic, ['one', 'two', 'three']);
      for (const group of groups) {
        const consumer = new SimpleConsumer(client, { group });
        const received = await consumer.receive({ maxMessages: 32 });
        expect(received.map((m) => m.msgId).sort()).toEqual(sent.map((r) => r.msgId).sort());
        expect(received.map((m) => m.text()).sort()).toEqual(['one', 'three', 'two']);
        expect((await consumer.ack(received)).every((r) => r.ok)).toBe(true);
        expect(await consumer.receive({ maxMessages: 32 })).toEqual([]);
      }
    });

    it('delivers only messages whose tag matches the group tag expression', async () => {
      const { client } = server();
      const topic = unique('topic');
      await client.createTopic(topic, { queueCount: 2 });
      const paid = unique('paid');
      const all = unique('all');
      await client.createGroup(paid, { subscriptions: [{ topic, tagExpression: 'paid || refunded' }] });
      await client.createGroup(all, { subscriptions: [{ topic, tagExpression: '*' }] });
      const producer = new Producer(client);
      await producer.send(topic, { body: 'a', tag: 'paid' });
      await producer.send(topic, { body: 'b', tag: 'created' });
      await producer.send(topic, { body: 'c', tag: 'refunded' });
      await producer.send(topic, 'untagged');
      const filtered = await new SimpleConsumer(client, { group: paid }).receive({ maxMessages: 32 });
      expect(filtered.map((m) => m.text()).sort()).toEqual(['a', 'c']);
      expect(filtered.map((m) => m.tag).sort()).toEqual(['paid', 'refunded']);
      const everything = await new SimpleConsumer(client, { group: all }).receive({ maxMessages: 32 });
      expect(everything).toHaveLength(4);
    });

    it('finds a matching message behind a long run of filtered-out ones in one receive', async () => {
      const { client } = server();
      const topic = unique('topic');
      await client.createTopic(topic, { queueCount: 1 });
      const group = unique('rare');
      await client.createGroup(group, { subscriptions: [{ topic, tagExpression: 'rare' }] });
      const producer = new Producer(client);
      for (let i = 0; i < 10; i++) {
        await producer.sendBatch(
          topic,
          Array.from({ length: 32 }, () => ({ body: 'noise', tag: 'common' })),
        );
      }
      const wanted = await producer.send(topic, { body: 'needle', tag: 'rare' });
      await producer.send(topic, { body: 'needle 2', tag: 'rare' });
      const consumer = new SimpleConsumer(client, { group });
      const [first] = await consumer.receive({ maxMessages: 1, waitMs: 0 });
      expect(first?.msgId).toBe(wanted.msgId);
      // The cursor stopped right after the delivered message: the next one is still there.
      expect((await consumer.receive({ maxMessages: 32 })).map((m) => m.text())).toEqual(['needle 2']);
    });

    it('deduplicates messageIds within a batch, across batches and between concurrent sends', async () => {
      const { client, broker } = server();
      const { topic, groups } = await topicWithGroups(client, 1);
      const producer = new Producer(client);
      const [a, aAgain, b] = await producer.sendBatch(topic, [
        { body: 'a', messageId: 'A' },
        { body: 'a again', messageId: 'A' },
        { body: 'b', messageId: 'B' },
      ]);
      expect(aAgain).toEqual({ ...a, duplicate: true });
      const [bAgain, c] = await producer.sendBatch(topic, [
        { body: 'b', messageId: 'B' },
        { body: 'c', messageId: 'C' },
      ]);
      expect(bAgain).toEqual({ ...b, duplicate: true });
      expect(c?.duplicate).toBe(false);
      const racing = await Promise.all(
        Array.from({ length: 8 }, () => producer.send(topic, { body: 'd', messageId: 'D' })),
      );
      expect(new Set(racing.map((r) => r.msgId)).size).toBe(1);
      expect(racing.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(await storedCount(broker, topic)).toBe(4);
      const received = await new SimpleConsumer(client, { group: groups[0]! }).receive({ maxMessages: 32 });
      expect(received.map((m) => m.text()).sort()).toEqual(['a', 'b', 'c', 'd']);
    });

    it('gives every message a unique msgId that sorts in send order', async () => {
      const { client } = server();
      const { topic } = await topicWithGroups(client, 0);
      const producer = new Producer(client);
      const ids: string[] = [];
      for (let round = 0; round < 4; round++) {
        ids.push(
          ...(
            await producer.sendBatch(
              topic,
              Array.from({ length: 32 }, (_, i) => `m${i}`),
            )
          ).map((r) => r.msgId),
        );
        ids.push((await producer.send(topic, 'single')).msgId);
      }
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(ids);
    });

    it('gives every broadcasting client every message, with separate progress', async () => {
      const { client } = server();
      const topic = unique('topic');
      const group = unique('broadcast');
      await client.createTopic(topic, { queueCount: 2 });
      await client.createGroup(group, { subscriptions: [{ topic }], consumeMode: 'BROADCASTING' });
      const sent = await new Producer(client).sendBatch(topic, ['x', 'y', 'z']);
      const ids = sent.map((r) => r.msgId).sort();
      const consumers = ['node-a', 'node-b', 'node-c'].map(
        (clientId) => new SimpleConsumer(client, { group, clientId }),
      );
      for (const consumer of consumers) {
        const received = await consumer.receive({ maxMessages: 32 });
        expect(received.map((m) => m.msgId).sort()).toEqual(ids);
        await consumer.ack(received);
      }
      // Each client acked its own copies; none sees anything again, and acks did not touch the others.
      for (const consumer of consumers) expect(await consumer.receive({ maxMessages: 32 })).toEqual([]);
      await new Producer(client).send(topic, 'w');
      for (const consumer of consumers) {
        expect((await consumer.receive({ maxMessages: 32 })).map((m) => m.text())).toEqual(['w']);
      }
    });

    it('returns the first result for a repeated messageId and stores nothing new', async () => {
      const { client, broker } = server();
      const { topic, groups } = await topicWithGroups(client, 1);
      const producer = new Producer(client);
      const first = await producer.send(topic, { body: 'pay 10', messageId: 'order-7' });
      const again = await producer.send(topic, { body: 'pay 10', messageId: 'order-7' });
      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ ...first, duplicate: true });
      expect(await storedCount(broker, topic)).toBe(1);
      const received = await new SimpleConsumer(client, { group: groups[0]! }).receive({ maxMessages: 32 });
      expect(received.map((m) => m.msgId)).toEqual([first.msgId]);
    });

    it('round-trips binary and text bodies, keys and properties exactly', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1, { queueCount: 1 });
      const binary = new Uint8Array(300).map((_, i) => (i * 7) % 256);
      const producer = new Producer(client);
      await producer.send(topic, { body: binary, keys: ['k1', 'k2'], properties: { region: 'eu', 'x-trace': '1' } });
      await producer.send(topic, { body: 'héllo wörld ✓', tag: 'text' });
      await producer.send(topic, { body: JSON.stringify({ total: 42 }) });
      const [bin, text, json] = await new SimpleConsumer(client, { group: groups[0]! }).receive({ maxMessages: 3 });
      expect(bin?.body).toEqual(binary);
      expect(bin?.keys).toEqual(['k1', 'k2']);
      expect(bin?.properties).toEqual({ region: 'eu', 'x-trace': '1' });
      expect(bin?.deliveryAttempt).toBe(1);
      expect(text?.text()).toBe('héllo wörld ✓');
      expect(text?.tag).toBe('text');
      expect(json?.json()).toEqual({ total: 42 });
      expect(json!.storeTimestamp).toBeGreaterThanOrEqual(json!.bornTimestamp);
    });

    it('puts a batch on one queue, consecutive batches on the next queues, one result per message in order', async () => {
      const { client } = server();
      const { topic } = await topicWithGroups(client, 0, { queueCount: 4 });
      const results = await new Producer(client).sendBatch(
        topic,
        Array.from({ length: 32 }, (_, i) => ({ body: `m${i}`, keys: [`k${i}`] })),
      );
      expect(results).toHaveLength(32);
      expect(new Set(results.map((r) => r.queueId)).size).toBe(1);
      expect(results.map((r) => r.queueOffset)).toEqual(results.map((_, i) => (results[0]?.queueOffset ?? 0) + i));
      expect(new Set(results.map((r) => r.msgId)).size).toBe(32);
      const queues = new Set<number>();
      for (let i = 0; i < 4; i++)
        queues.add((await new Producer(client).sendBatch(topic, ['a', 'b']))[0]?.queueId ?? -1);
      expect(queues.size).toBe(4);
    });
  });
}
