import { describe, expect, it } from 'vitest';
import { ConflictError, Producer, type ReceivedMessage, SimpleConsumer } from '../../src/sdk/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import type { StartServer } from '../support/server.ts';
import { expectApiError, topicWithGroups, useServer } from './helpers.ts';

const INVISIBLE_MS = 10_000;

/** Clustering consumption over HTTP with time under test control: redelivery, backoff, invisibility. */
export function describeClusteringSuite(label: string, start: StartServer): void {
  describe(`${label}: clustering`, () => {
    const clock = new ManualClock();
    const server = useServer(start, () => ({ clock }));

    function consumers(group: string, count: number) {
      return Array.from(
        { length: count },
        (_, i) =>
          new SimpleConsumer(server().client, { group, clientId: `worker-${i}`, invisibleDurationMs: INVISIBLE_MS }),
      );
    }

    it('hands each message to one of three consumers at a time, and again when one dies holding it', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1, { queueCount: 4 });
      const sent = await new Producer(client).sendBatch(
        topic,
        Array.from({ length: 12 }, (_, i) => `job-${i}`),
      );
      const [a, b, c] = consumers(groups[0]!, 3) as [SimpleConsumer, SimpleConsumer, SimpleConsumer];
      const got = new Map<SimpleConsumer, ReceivedMessage[]>();
      for (const consumer of [a, b, c]) got.set(consumer, await consumer.receive({ maxMessages: 5 }));
      const all = [...got.values()].flat();
      expect(all).toHaveLength(12);
      expect(new Set(all.map((m) => m.msgId))).toEqual(new Set(sent.map((r) => r.msgId)));
      for (const consumer of [a, b, c]) expect(await consumer.receive({ maxMessages: 32 })).toEqual([]);

      // a and b finish their work; c dies holding its messages.
      await a.ack(got.get(a)!);
      await b.ack(got.get(b)!);
      const orphaned = got.get(c)!;
      expect(orphaned.length).toBeGreaterThan(0);
      clock.advance(INVISIBLE_MS - 1);
      expect(await a.receive({ maxMessages: 32 })).toEqual([]);
      clock.advance(1);
      const redelivered = await a.receive({ maxMessages: 32 });
      expect(redelivered.map((m) => m.msgId).sort()).toEqual(orphaned.map((m) => m.msgId).sort());
      expect(redelivered.every((m) => m.deliveryAttempt === 2)).toBe(true);
      expect(await b.receive({ maxMessages: 32 })).toEqual([]);

      // The dead consumer's handles went stale when the messages moved on.
      const stale = await c.ack(orphaned);
      expect(stale.every((r) => !r.ok && r.code === 'RECEIPT_HANDLE_EXPIRED')).toBe(true);
      expect((await a.ack(redelivered)).every((r) => r.ok)).toBe(true);
      clock.advance(60 * INVISIBLE_MS);
      expect(await b.receive({ maxMessages: 32 })).toEqual([]);
    });

    it('backs off a nacked message 10 s, then 30 s', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1);
      await new Producer(client).send(topic, 'flaky');
      const [consumer] = consumers(groups[0]!, 1) as [SimpleConsumer];
      const [first] = await consumer.receive();
      expect(first?.deliveryAttempt).toBe(1);
      expect((await consumer.nack(first!))[0]?.ok).toBe(true);

      clock.advance(9_999);
      expect(await consumer.receive()).toEqual([]);
      clock.advance(1);
      const [second] = await consumer.receive();
      expect(second?.msgId).toBe(first?.msgId);
      expect(second?.deliveryAttempt).toBe(2);
      await consumer.nack(second!);

      clock.advance(29_999);
      expect(await consumer.receive()).toEqual([]);
      clock.advance(1);
      const [third] = await consumer.receive();
      expect(third?.deliveryAttempt).toBe(3);
      await consumer.ack(third!);
    });

    it('redelivers after an explicit nack delay', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1);
      await new Producer(client).send(topic, 'later');
      const [consumer] = consumers(groups[0]!, 1) as [SimpleConsumer];
      const [message] = await consumer.receive();
      await consumer.nack(message!, { delayMs: 2_000 });
      clock.advance(1_999);
      expect(await consumer.receive()).toEqual([]);
      clock.advance(1);
      expect((await consumer.receive())[0]?.msgId).toBe(message?.msgId);
    });

    it('extends invisibility with change-invisible-duration, retiring the old receipt handle', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1);
      await new Producer(client).send(topic, 'long job');
      const [worker, other] = consumers(groups[0]!, 2) as [SimpleConsumer, SimpleConsumer];
      const [message] = await worker.receive();
      const oldHandle = message!.receiptHandle;
      const result = await worker.changeInvisibleDuration(message!, 60_000);
      expect(result.invisibleUntil).toBe(clock.now() + 60_000);
      expect(message!.receiptHandle).toBe(result.receiptHandle);
      expect(result.receiptHandle).not.toBe(oldHandle);

      clock.advance(INVISIBLE_MS);
      expect(await other.receive()).toEqual([]);
      // The old handle settles nothing; a change through it is taken as a retry of the one that
      // succeeded (its response may have been lost) and answers that change, changing nothing.
      expect(await worker.changeInvisibleDuration(oldHandle, 1_000)).toEqual(result);
      expect((await worker.ack(oldHandle))[0]).toMatchObject({ ok: false, code: 'RECEIPT_HANDLE_EXPIRED' });
      await worker.changeInvisibleDuration(result.receiptHandle, 60_000 - INVISIBLE_MS);
      await expectApiError(worker.changeInvisibleDuration(oldHandle, 1_000), {
        code: 'RECEIPT_HANDLE_EXPIRED',
        status: 409,
        type: ConflictError,
      });

      clock.advance(60_000 - INVISIBLE_MS);
      const [again] = await other.receive();
      expect(again?.msgId).toBe(message?.msgId);
      expect(again?.deliveryAttempt).toBe(2);
    });

    it('reports malformed and foreign receipt handles per item', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 2);
      await new Producer(client).send(topic, 'x');
      const [mine] = consumers(groups[0]!, 1) as [SimpleConsumer];
      const [theirs] = consumers(groups[1]!, 1) as [SimpleConsumer];
      const [message] = await theirs.receive();
      const results = await mine.ack(['not-a-handle', message!.receiptHandle]);
      expect(results.map((r) => [r.ok, r.code])).toEqual([
        [false, 'INVALID_RECEIPT_HANDLE'],
        [false, 'INVALID_RECEIPT_HANDLE'],
      ]);
      expect((await theirs.ack(message!))[0]?.ok).toBe(true);
    });
  });
}
