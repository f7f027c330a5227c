import { describe, expect, it } from 'vitest';
import { Producer, SimpleConsumer } from '../../src/sdk/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import type { StartServer } from '../support/server.ts';
import { expectApiError, unique, useServer } from './helpers.ts';

const HOUR = 3_600_000;

/** Defaults, and retention with time under test control: an expired message is never delivered. */
export function describeRetentionSuite(label: string, start: StartServer): void {
  describe(`${label}: defaults and retention`, () => {
    const clock = new ManualClock();
    const server = useServer(start, () => ({ clock }));

    async function shortLivedGroup(maxDeliveryAttempts?: number) {
      const { client } = server();
      const topic = unique('short');
      await client.createTopic(topic, { queueCount: 1, retentionHours: 1 });
      const group = unique('group');
      await client.createGroup(group, { subscriptions: [{ topic }], maxDeliveryAttempts });
      return { client, topic, group, consumer: new SimpleConsumer(client, { group, invisibleDurationMs: 10_000 }) };
    }

    it('creates topics with 8 queues and 72 h retention, groups clustering with 16 attempts, by default', async () => {
      const { client } = server();
      const topic = unique('defaults');
      expect(await client.createTopic(topic)).toMatchObject({
        messageType: 'NORMAL',
        queueCount: 8,
        retentionHours: 72,
      });
      expect(await client.createGroup(unique('g'), { subscriptions: [{ topic }] })).toMatchObject({
        consumeMode: 'CLUSTERING',
        maxDeliveryAttempts: 16,
        subscriptions: [{ topic, tagExpression: '*' }],
      });
      for (const retentionHours of [0, 73]) {
        await expectApiError(client.createTopic(unique('t'), { retentionHours }), {
          code: 'INVALID_ARGUMENT',
          status: 400,
        });
      }
    });

    it('never delivers an expired message: not new, not as a redelivery', async () => {
      const { client, topic, consumer } = await shortLivedGroup();
      await new Producer(client).sendBatch(topic, ['held', 'never read']);
      const [held] = await consumer.receive();
      expect(held?.text()).toBe('held');
      clock.advance(HOUR);
      expect(await consumer.receive({ maxMessages: 32 })).toEqual([]);
      expect((await consumer.ack(held!))[0]).toMatchObject({ ok: false, code: 'RECEIPT_HANDLE_EXPIRED' });
    });

    it('drops expired dead letters on redrive, and never dead-letters a message that already expired', async () => {
      const { client, topic, group, consumer } = await shortLivedGroup(1);
      await new Producer(client).send(topic, 'poison');
      const [poison] = await consumer.receive();
      await consumer.nack(poison!);
      await new Producer(client).send(topic, 'slow');
      const [slow] = await consumer.receive();
      clock.advance(HOUR);
      // The message expired while held: settling it at its last attempt leaves no dead letter behind.
      await consumer.nack(slow!);
      const letters = (await client.listDeadLetters(group)).deadLetters;
      expect(letters.map((l) => l.msgId)).toEqual([poison!.msgId]);
      expect(letters[0]?.message).toBeUndefined();
      expect(await client.redriveDeadLetters(group)).toEqual({ redriven: 0, expired: 1 });
      expect((await client.listDeadLetters(group)).deadLetters).toEqual([]);
      expect(await consumer.receive({ maxMessages: 32 })).toEqual([]);
    });

    it('forgets a messageId once its message expired', async () => {
      const { client, topic } = await shortLivedGroup();
      const producer = new Producer(client);
      const first = await producer.send(topic, { body: 'once', messageId: 'job-1' });
      clock.advance(HOUR - 1);
      expect(await producer.send(topic, { body: 'once', messageId: 'job-1' })).toEqual({ ...first, duplicate: true });
      clock.advance(1);
      const later = await producer.send(topic, { body: 'once', messageId: 'job-1' });
      expect(later.duplicate).toBe(false);
      expect(later.msgId).not.toBe(first.msgId);
    });
  });
}
