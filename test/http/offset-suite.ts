import { describe, expect, it } from 'vitest';
import { Producer, SimpleConsumer } from '../../src/sdk/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import type { StartServer } from '../support/server.ts';
import { expectApiError, topicWithGroups, unique, useServer } from './helpers.ts';

/** Offset reset and group stats over HTTP, for clustering and broadcasting groups. */
export function describeOffsetSuite(label: string, start: StartServer): void {
  describe(`${label}: offset reset and stats`, () => {
    const clock = new ManualClock(Date.now());
    const server = useServer(start, () => ({ clock }));

    it('resets a clustering group by time and by offset; leases from before the reset no longer settle', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1, { queueCount: 1 });
      const group = groups[0]!;
      const producer = new Producer(client);
      const before = clock.now();
      clock.advance(5);
      for (const body of ['a', 'b', 'c']) await producer.send(topic, { body });
      const consumer = new SimpleConsumer(client, { group });
      const held = await consumer.receive({ maxMessages: 3 });
      expect(held.map((message) => message.text())).toEqual(['a', 'b', 'c']);

      let stats = (await client.groupStats(group)).topics[0]!;
      expect(stats).toMatchObject({ topic, ready: 0, inFlight: 3, deadLetters: 0 });
      expect(stats.queues).toEqual([{ queueId: 0, ready: 0, inFlight: 3, consumerOffset: 3, maxOffset: 3 }]);

      const reset = await client.resetOffset(group, { topic, timestamp: before });
      expect(reset).toEqual({ group, topic, lanes: 1, offsets: [{ queueId: 0, offset: 0 }] });
      const stale = await consumer.ack(held);
      expect(stale.map((result) => (result.ok ? 'ok' : result.code))).toEqual(Array(3).fill('RECEIPT_HANDLE_EXPIRED'));
      clock.advance(1_000);
      stats = (await client.groupStats(group)).topics[0]!;
      expect(stats).toMatchObject({ ready: 3, inFlight: 0, oldestReadyAgeMs: 1_000 });

      const again = await consumer.receive({ maxMessages: 3 });
      expect(again.map((message) => [message.text(), message.deliveryAttempt])).toEqual([
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ]);
      expect((await consumer.ack(again)).every((result) => result.ok)).toBe(true);

      await client.resetOffset(group, { topic, offsets: [{ queueId: 0, offset: 2 }] });
      expect((await consumer.receive({ maxMessages: 3 })).map((message) => message.text())).toEqual(['c']);
      // Offsets beyond the queue are clamped to what it stores.
      const clamped = await client.resetOffset(group, { topic, offsets: [{ queueId: 0, offset: 99 }] });
      expect(clamped.offsets).toEqual([{ queueId: 0, offset: 3 }]);

      await expectApiError(client.resetOffset(group, { topic }), { code: 'INVALID_ARGUMENT', status: 400 });
      await expectApiError(client.resetOffset(group, { topic, timestamp: 0, offsets: [{ queueId: 0, offset: 0 }] }), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });
      await expectApiError(client.resetOffset(group, { topic, offsets: [{ queueId: 1, offset: 0 }] }), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });
      await expectApiError(client.resetOffset(group, { topic, timestamp: 0, clientId: 'x' }), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });
      await expectApiError(client.resetOffset(unique('nogroup'), { topic, timestamp: 0 }), {
        code: 'GROUP_NOT_FOUND',
        status: 404,
      });
    });

    it('fences a pre-reset handle off the redelivery of its own message from the new position', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1, { queueCount: 1 });
      const group = groups[0]!;
      const producer = new Producer(client);
      for (const body of ['a', 'b']) await producer.send(topic, { body });
      const consumer = new SimpleConsumer(client, { group });
      const old = await consumer.receive({ maxMessages: 2 });
      await client.resetOffset(group, { topic, offsets: [{ queueId: 0, offset: 0 }] });
      const fresh = await consumer.receive({ maxMessages: 2 });
      expect(fresh.map((message) => message.text())).toEqual(['a', 'b']);
      const stale = await consumer.ack(old);
      expect(stale.map((result) => (result.ok ? 'ok' : result.code))).toEqual(Array(2).fill('RECEIPT_HANDLE_EXPIRED'));
      // The stale acks settled nothing of the new position: both deliveries are still in flight.
      expect((await client.groupStats(group)).topics[0]).toMatchObject({ ready: 0, inFlight: 2 });
      expect((await consumer.ack(fresh)).every((result) => result.ok)).toBe(true);
    });

    it('resets an orderly group on a FIFO topic, parked leases included, and keeps the order per message group', async () => {
      const { client } = server();
      const topic = unique('fiforeset');
      const group = unique('fgroup');
      await client.createTopic(topic, { messageType: 'FIFO', queueCount: 1 });
      await client.createGroup(group, { subscriptions: [{ topic }], orderly: true });
      const producer = new Producer(client);
      for (const body of ['a1', 'a2', 'a3']) await producer.send(topic, { body, messageGroup: 'a' });
      const consumer = new SimpleConsumer(client, { group });
      // a1 goes out; a2 and a3 are parked behind it.
      const first = await consumer.receive({ maxMessages: 3 });
      expect(first.map((message) => message.text())).toEqual(['a1']);
      // Parked messages were never handed out: they are ready, not in flight.
      expect((await client.groupStats(group)).topics[0]).toMatchObject({ ready: 2, inFlight: 1 });
      await client.resetOffset(group, { topic, offsets: [{ queueId: 0, offset: 1 }] });
      const stale = await consumer.ack(first);
      expect(stale[0]?.ok).toBe(false);
      const order: string[] = [];
      for (let round = 0; round < 4 && order.length < 2; round++) {
        const got = await consumer.receive({ maxMessages: 3 });
        order.push(...got.map((message) => message.text()));
        expect((await consumer.ack(got)).every((result) => result.ok)).toBe(true);
      }
      expect(order).toEqual(['a2', 'a3']);
      expect((await client.groupStats(group)).topics[0]).toMatchObject({ ready: 0, inFlight: 0 });
    });

    it('resets one instance of a broadcasting group, or all of them', async () => {
      const { client } = server();
      const topic = unique('bcast');
      await client.createTopic(topic, { queueCount: 2 });
      const group = unique('bgroup');
      await client.createGroup(group, { subscriptions: [{ topic }], consumeMode: 'BROADCASTING' });
      const producer = new Producer(client);
      const start = clock.now();
      for (const body of ['a', 'b', 'c', 'd']) await producer.send(topic, { body });
      const one = new SimpleConsumer(client, { group, clientId: 'one' });
      const two = new SimpleConsumer(client, { group, clientId: 'two' });
      const drain = async (consumer: SimpleConsumer) => {
        const got = await consumer.receive({ maxMessages: 16 });
        await consumer.ack(got);
        return got.map((message) => message.text()).sort();
      };
      expect(await drain(one)).toEqual(['a', 'b', 'c', 'd']);
      const unacked = await two.receive({ maxMessages: 1 });

      const stats = (await client.groupStats(group)).topics[0]!;
      expect(stats.clients).toEqual([
        { clientId: 'one', ready: 0, inFlight: 0 },
        { clientId: 'two', ready: 3, inFlight: 1 },
      ]);
      expect(stats).toMatchObject({ ready: 3, inFlight: 1 });

      const single = await client.resetOffset(group, { topic, timestamp: start, clientId: 'one' });
      expect(single.lanes).toBe(1);
      expect(await drain(one)).toEqual(['a', 'b', 'c', 'd']);
      expect((await two.ack(unacked))[0]?.ok).toBe(true);
      // `two` acked its one message and gets the other three: its progress was not reset.
      const firstOfTwo = unacked[0]?.text();
      expect(await drain(two)).toEqual(['a', 'b', 'c', 'd'].filter((body) => body !== firstOfTwo));

      const all = await client.resetOffset(group, {
        topic,
        offsets: [
          { queueId: 0, offset: 0 },
          { queueId: 1, offset: 0 },
        ],
      });
      expect(all.lanes).toBe(2);
      expect(await drain(one)).toEqual(['a', 'b', 'c', 'd']);
      expect(await drain(two)).toEqual(['a', 'b', 'c', 'd']);
      const after = (await client.groupStats(group)).topics[0]!;
      expect(after).toMatchObject({ ready: 0, inFlight: 0 });
    });
  });
}
