import { describe, expect, it } from 'vitest';
import { Producer, SimpleConsumer } from '../../src/sdk/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import type { StartServer } from '../support/server.ts';
import { expectApiError, topicWithGroups, unique, useServer } from './helpers.ts';

/** An edited receipt handle: one `~`-separated field replaced (or a field appended). */
function edit(handle: string, field: number, value: string): string {
  const parts = handle.split('~');
  parts[field] = value;
  return parts.join('~');
}

/**
 * Fair service of queues, receipt handles a client cannot forge into anything, and inputs
 * that every store treats alike.
 */
export function describeIntegritySuite(label: string, start: StartServer): void {
  describe(`${label}: integrity`, () => {
    const clock = new ManualClock();
    const server = useServer(start, () => ({ clock }));

    it('serves every non-empty queue in turn, one message per receive', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1, { queueCount: 4 });
      const producer = new Producer(client);
      // Consecutive sends rotate over the queues: 10 messages in each of the 4.
      for (let i = 0; i < 40; i++) await producer.send(topic, `m-${i}`);
      const consumer = new SimpleConsumer(client, { group: groups[0] as string });
      const served = [0, 0, 0, 0];
      for (let i = 0; i < 12; i++) {
        const [message] = await consumer.receive({ maxMessages: 1 });
        if (!message) throw new Error(`receive ${i} got nothing`);
        served[message.queueId] = (served[message.queueId] ?? 0) + 1;
      }
      expect(served).toEqual([3, 3, 3, 3]);
    });

    it('takes turns among the queues that hold messages, however many empty queues lie between', async () => {
      const { client } = server();
      const topic = unique('topic');
      const group = unique('group');
      await client.createTopic(topic, { queueCount: 8 });
      await client.createGroup(group, { subscriptions: [{ topic, tagExpression: 'take' }] });
      const producer = new Producer(client);
      // Consecutive sends rotate over the 8 queues: only queues 0 and 1 get messages the group takes.
      for (let i = 0; i < 32; i++) await producer.send(topic, { body: `m-${i}`, tag: i % 8 < 2 ? 'take' : 'skip' });
      const consumer = new SimpleConsumer(client, { group });
      const served: number[] = [];
      for (let i = 0; i < 8; i++) {
        const [message] = await consumer.receive({ maxMessages: 1 });
        if (!message) throw new Error(`receive ${i} got nothing`);
        served.push(message.queueId);
      }
      expect(served.filter((queueId) => queueId === 0)).toHaveLength(4);
      expect(served.filter((queueId) => queueId === 1)).toHaveLength(4);
      // Strictly alternating once the filtered queues were passed.
      expect(served.slice(-6)).toEqual([
        served.at(-6),
        served.at(-5),
        served.at(-6),
        served.at(-5),
        served.at(-6),
        served.at(-5),
      ]);
    });

    it('settles nothing with an edited receipt handle, and the group keeps working', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1, { queueCount: 1, maxDeliveryAttempts: 2 });
      const group = groups[0] as string;
      await new Producer(client).send(topic, 'precious');
      const consumer = new SimpleConsumer(client, { group, invisibleDurationMs: 10_000 });
      const [message] = await consumer.receive();
      if (!message) throw new Error('nothing received');
      const handle = message.receiptHandle;
      // Fields: version, lane, topic, queueId, queueOffset, batchId, token. The token is the
      // secret; whoever holds it may settle, so only edits without it are forgeries.
      const forged = [
        `${handle}~9999999999999999`, // the delivery attempt older handles carried
        edit(handle, 4, '9999999999999999'),
        edit(handle, 3, '9999999999999999'),
        edit(handle, 6, 'AAAAAAAAAAAAAAAA'),
        edit(handle, 1, unique('other-group')),
      ];
      const nacked = await consumer.nack(forged, { delayMs: 0 });
      expect(nacked.every((result) => !result.ok)).toBe(true);
      expect(new Set(nacked.map((result) => result.code))).toEqual(
        new Set(['INVALID_RECEIPT_HANDLE', 'RECEIPT_HANDLE_EXPIRED']),
      );
      const acked = await consumer.ack(forged);
      expect(acked.every((result) => !result.ok)).toBe(true);
      // Nothing moved: the message stays invisible, receives answer (no server error).
      expect(await consumer.receive({ maxMessages: 32 })).toEqual([]);
      clock.advance(10_000);
      const [again] = await consumer.receive();
      expect(again?.msgId).toBe(message.msgId);
      expect(again?.deliveryAttempt).toBe(2);
      // The attempt that decides is the stored one: at the second of two attempts a nack dead-letters.
      expect(await consumer.nack(again ? [again] : [])).toEqual([{ receiptHandle: again?.receiptHandle, ok: true }]);
      const { deadLetters } = await client.listDeadLetters(group);
      expect(deadLetters.map((letter) => [letter.msgId, letter.deliveryAttempts])).toEqual([[message.msgId, 2]]);
    });

    it('keeps the stored attempt when a nack backs a message off: an early attempt is never dead-lettered', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1, { queueCount: 1, maxDeliveryAttempts: 3 });
      const group = groups[0] as string;
      await new Producer(client).send(topic, 'retry-me');
      const consumer = new SimpleConsumer(client, { group });
      const [first] = await consumer.receive();
      if (!first) throw new Error('nothing received');
      expect((await consumer.nack(first))[0]?.ok).toBe(true);
      clock.advance(10_000); // RocketMQ's first backoff
      const [second] = await consumer.receive();
      expect(second?.deliveryAttempt).toBe(2);
      const { deadLetters } = await client.listDeadLetters(group);
      expect(deadLetters).toEqual([]);
    });

    it('answers a retried change-invisible-duration with the handle its lost first call made', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1, { queueCount: 1 });
      await new Producer(client).send(topic, 'long job');
      const consumer = new SimpleConsumer(client, { group: groups[0] as string });
      const [message] = await consumer.receive();
      if (!message) throw new Error('nothing received');
      const original = message.receiptHandle;
      const first = await consumer.changeInvisibleDuration(original, 60_000);
      // The response was lost: the client retries with the handle it still has.
      const retried = await consumer.changeInvisibleDuration(original, 60_000);
      expect(retried).toEqual(first);
      const next = await consumer.changeInvisibleDuration(first.receiptHandle, 120_000);
      // Once moved on, the first handle is stale for good.
      await expectApiError(consumer.changeInvisibleDuration(original, 60_000), {
        code: 'RECEIPT_HANDLE_EXPIRED',
        status: 409,
      });
      expect((await consumer.ack(next.receiptHandle))[0]?.ok).toBe(true);
    });

    it('indexes a key named twice once, answers 200 and keeps the queue flowing', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1, { queueCount: 1 });
      const producer = new Producer(client);
      const sent = await producer.send(topic, { body: 'x', keys: ['a', 'a', 'b', 'a'] });
      const after = await producer.send(topic, 'next');
      const consumer = new SimpleConsumer(client, { group: groups[0] as string });
      const received = await consumer.receive({ maxMessages: 32 });
      expect(received.map((message) => message.msgId)).toEqual([sent.msgId, after.msgId]);
      expect(received[0]?.keys).toEqual(['a', 'b']);
    });
  });
}
