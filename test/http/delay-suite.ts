import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/core/limits.ts';
import { type Client, Producer, SimpleConsumer } from '../../src/sdk/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import type { StartServer } from '../support/server.ts';
import { expectApiError, storedCount, unique, useServer } from './helpers.ts';

const DAY = 86_400_000;

/** A DELAY topic and a clustering group subscribed to it. */
async function delayTopic(client: Client, queueCount = 2) {
  const topic = unique('delay');
  const group = unique('group');
  await client.createTopic(topic, { messageType: 'DELAY', queueCount });
  await client.createGroup(group, { subscriptions: [{ topic }] });
  return { topic, group, consumer: new SimpleConsumer(client, { group }) };
}

/** Delayed and scheduled messages over HTTP, time under test control; releases run as the driver would. */
export function describeDelaySuite(label: string, start: StartServer): void {
  describe(`${label}: delayed messages`, () => {
    const clock = new ManualClock();
    const server = useServer(start, () => ({ clock }));
    const release = () => server().broker.scheduled.releaseDue();

    it('keeps a delayed message invisible until deliverAt, then delivers it once with its offset', async () => {
      const { client } = server();
      const { topic, consumer } = await delayTopic(client);
      const sent = await new Producer(client).send(topic, { body: 'later', delayMs: 60_000, keys: ['k-1'] });
      expect(sent).toEqual({ msgId: expect.any(String), topic, deliverAt: clock.now() + 60_000, duplicate: false });
      expect(await storedCount(server().broker, topic)).toBe(0);
      clock.advance(59_999);
      expect((await release()).released).toBe(0);
      expect(await consumer.receive({ maxMessages: 32 })).toEqual([]);
      clock.advance(1);
      expect(await release()).toMatchObject({ released: 1 });
      expect((await release()).released).toBe(0);
      const received = await consumer.receive({ maxMessages: 32 });
      expect(received.map((m) => [m.msgId, m.text(), m.deliverAt, m.queueOffset])).toEqual([
        [sent.msgId, 'later', sent.deliverAt, 0],
      ]);
      await consumer.ack(received);
      expect(await consumer.receive({ maxMessages: 32 })).toEqual([]);
    });

    it('delivers at once when deliverAt is past or delayMs is 0, singly and in batches', async () => {
      const { client } = server();
      const { topic, consumer } = await delayTopic(client, 1);
      const producer = new Producer(client);
      const past = await producer.send(topic, { body: 'past', deliverAt: clock.now() - 5_000 });
      expect(past.deliverAt).toBe(clock.now());
      const batch = await producer.sendBatch(topic, [
        { body: 'now', delayMs: 0 },
        { body: 'soon', delayMs: 1_000 },
        { body: 'at', deliverAt: new Date(clock.now() + 2_000) },
      ]);
      expect(batch.map((result) => result.deliverAt)).toEqual([clock.now(), clock.now() + 1_000, clock.now() + 2_000]);
      expect((await consumer.receive({ maxMessages: 32 })).map((m) => m.text())).toEqual(['past', 'now']);
      clock.advance(2_000);
      await release();
      // Released together, in either order.
      expect((await consumer.receive({ maxMessages: 32 })).map((m) => m.text()).sort()).toEqual(['at', 'soon']);
    });

    it('accepts 40 days, refuses more with DELAY_TOO_LONG, and refuses bodies over 64 KiB', async () => {
      const { client, broker } = server();
      const { topic, consumer } = await delayTopic(client, 1);
      const producer = new Producer(client);
      await expectApiError(producer.send(topic, { body: 'x', delayMs: LIMITS.maxDelayMs + 1 }), {
        code: 'DELAY_TOO_LONG',
        status: 400,
      });
      const error = await expectApiError(producer.send(topic, { body: 'x', deliverAt: clock.now() + 41 * DAY }), {
        code: 'DELAY_TOO_LONG',
        status: 400,
      });
      expect(error.message).toContain('40 days');
      await expectApiError(producer.send(topic, { body: 'x'.repeat(64 * 1024 + 1), delayMs: 1_000 }), {
        code: 'BODY_TOO_LARGE',
        status: 413,
      });
      await expectApiError(producer.send(topic, 'no time given'), { code: 'INVALID_ARGUMENT', status: 400 });
      await expectApiError(producer.send(topic, { body: 'both', delayMs: 1, deliverAt: clock.now() }), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });
      expect((await client.listScheduled(topic)).scheduled).toEqual([]);
      const far = await producer.send(topic, { body: 'x'.repeat(64 * 1024), delayMs: LIMITS.maxDelayMs });
      clock.advance(LIMITS.maxDelayMs - 1);
      await release();
      expect(await consumer.receive()).toEqual([]);
      clock.advance(1);
      await release();
      expect((await consumer.receive()).map((m) => m.msgId)).toEqual([far.msgId]);
      expect(await storedCount(broker, topic)).toBe(1);
    });

    it('lists pending messages by due time in pages, and cancels them: 204, 409 once delivered, 404 unknown', async () => {
      const { client } = server();
      const { topic, consumer } = await delayTopic(client);
      const producer = new Producer(client);
      const sent = [];
      for (const delay of [5_000, 1_000, 3_000, 4_000, 2_000]) {
        sent.push(await producer.send(topic, { body: `in ${delay}`, delayMs: delay, tag: 'T' }));
      }
      const byDue = [...sent].sort((a, b) => (a.deliverAt ?? 0) - (b.deliverAt ?? 0));
      const first = await client.listScheduled(topic, { limit: 2 });
      expect(first.scheduled).toEqual(
        byDue.slice(0, 2).map((s) => ({ msgId: s.msgId, deliverAt: s.deliverAt, tag: 'T', keys: [], bodySize: 7 })),
      );
      const rest = await client.listScheduled(topic, { limit: 10, after: first.nextToken });
      expect(rest.nextToken).toBeUndefined();
      expect(rest.scheduled.map((s) => s.msgId)).toEqual(byDue.slice(2).map((s) => s.msgId));

      const [cancelled, delivered] = byDue as [(typeof byDue)[0], (typeof byDue)[0]];
      await client.cancelScheduled(topic, cancelled.msgId);
      await client.cancelScheduled(topic, cancelled.msgId); // idempotent
      clock.advance(2_000);
      await release();
      expect((await consumer.receive({ maxMessages: 32 })).map((m) => m.msgId)).toEqual([delivered.msgId]);
      await expectApiError(client.cancelScheduled(topic, delivered.msgId), { code: 'ALREADY_DELIVERED', status: 409 });
      await expectApiError(client.cancelScheduled(topic, 'F'.repeat(32)), { code: 'MESSAGE_NOT_FOUND', status: 404 });
      await expectApiError(client.cancelScheduled(topic, 'not a msg id!'), { code: 'MESSAGE_NOT_FOUND', status: 404 });
      expect((await client.listScheduled(topic)).scheduled).toHaveLength(3);
      await expectApiError(client.listScheduled(topic, { limit: 0 }), { code: 'INVALID_ARGUMENT', status: 400 });
      await expectApiError(client.listScheduled(topic, { after: 'garbage' }), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });
    });

    it('holds a repeated messageId once', async () => {
      const { client } = server();
      const { topic } = await delayTopic(client);
      const producer = new Producer(client);
      const first = await producer.send(topic, { body: 'pay', delayMs: 10_000, messageId: 'pay-1' });
      const again = await producer.send(topic, { body: 'pay', delayMs: 20_000, messageId: 'pay-1' });
      expect(again).toEqual({ ...first, duplicate: true });
      expect((await client.listScheduled(topic)).scheduled.map((s) => s.msgId)).toEqual([first.msgId]);
    });

    it('keeps delay fields to DELAY topics', async () => {
      const { client } = server();
      const topic = unique('normal');
      await client.createTopic(topic, { queueCount: 1 });
      await expectApiError(new Producer(client).send(topic, { body: 'x', deliverAt: clock.now() + 1_000 }), {
        code: 'MESSAGE_TYPE_MISMATCH',
        status: 400,
      });
      await expectApiError(client.listScheduled(unique('missing')), { code: 'TOPIC_NOT_FOUND', status: 404 });
    });
  });
}
