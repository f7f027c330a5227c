import { describe, expect, it } from 'vitest';
import { NotFoundError, Producer, SimpleConsumer } from '../../src/sdk/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import type { StartServer } from '../support/server.ts';
import { expectApiError, topicWithGroups, unique, useServer } from './helpers.ts';

const HOUR = 3_600_000;

/** Dead-letter queues over HTTP: a message that keeps failing lands there and can be redriven. */
export function describeDeadLetterSuite(label: string, start: StartServer): void {
  describe(`${label}: dead letters`, () => {
    const clock = new ManualClock();
    const server = useServer(start, () => ({ clock }));

    it('dead-letters after maxDeliveryAttempts nacks, lists it, and redrives it with attempts reset', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1, { maxDeliveryAttempts: 3 });
      const group = groups[0]!;
      const sent = await new Producer(client).send(topic, { body: 'poison', tag: 'bad', keys: ['order-1'] });
      const consumer = new SimpleConsumer(client, { group });
      for (let attempt = 1; attempt <= 3; attempt++) {
        const [message] = await consumer.receive();
        expect(message?.msgId).toBe(sent.msgId);
        expect(message?.deliveryAttempt).toBe(attempt);
        expect((await consumer.nack(message!))[0]?.ok).toBe(true);
        clock.advance(HOUR);
      }
      expect(await consumer.receive()).toEqual([]);

      const letters = (await client.listDeadLetters(group)).deadLetters;
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        group,
        consumer: group,
        dlq: `%DLQ%${group}`,
        topic,
        msgId: sent.msgId,
        queueId: sent.queueId,
        queueOffset: sent.queueOffset,
        deliveryAttempts: 3,
        message: { body: 'poison', bodyEncoding: 'utf8', tag: 'bad', keys: ['order-1'] },
      });

      expect(await client.redriveDeadLetters(group)).toEqual({ redriven: 1, expired: 0 });
      expect((await client.listDeadLetters(group)).deadLetters).toEqual([]);
      const [back] = await consumer.receive();
      expect(back?.msgId).toBe(sent.msgId);
      expect(back?.deliveryAttempt).toBe(1);
      expect((await consumer.ack(back!))[0]?.ok).toBe(true);
      // Redrive is safe to repeat: nothing is left to move.
      expect(await client.redriveDeadLetters(group)).toEqual({ redriven: 0, expired: 0 });
    });

    it('dead-letters messages a consumer never settles, and redrives only the named ones', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1, { maxDeliveryAttempts: 2 });
      const group = groups[0]!;
      const sent = await new Producer(client).sendBatch(topic, ['a', 'b', new Uint8Array([0xc3, 0x28])]);
      const consumer = new SimpleConsumer(client, { group, invisibleDurationMs: 10_000 });
      expect(await consumer.receive({ maxMessages: 32 })).toHaveLength(3);
      clock.advance(10_000);
      const second = await consumer.receive({ maxMessages: 32 });
      expect(second.map((m) => m.deliveryAttempt)).toEqual([2, 2, 2]);
      clock.advance(10_000);
      expect(await consumer.receive({ maxMessages: 32 })).toEqual([]);

      const letters = (await client.listDeadLetters(group)).deadLetters;
      expect(letters.map((l) => l.msgId).sort()).toEqual(sent.map((r) => r.msgId).sort());
      expect(letters.every((l) => l.deliveryAttempts === 2)).toBe(true);
      const binary = letters.find((l) => l.msgId === sent[2]?.msgId);
      expect(binary?.message).toMatchObject({ body: 'wyg=', bodyEncoding: 'base64' });
      expect((await client.listDeadLetters(group, { limit: 2 })).deadLetters).toHaveLength(2);

      // The named letter is found wherever it sits in the DLQ, not only among the first `limit`.
      const oldestFirst = letters.map((l) => l.msgId);
      const chosen = oldestFirst[2]!;
      expect(await client.redriveDeadLetters(group, { msgIds: [chosen], limit: 1 })).toEqual({
        redriven: 1,
        expired: 0,
      });
      expect((await client.listDeadLetters(group)).deadLetters.map((l) => l.msgId)).not.toContain(chosen);
      const [back] = await consumer.receive({ maxMessages: 32 });
      expect(back?.msgId).toBe(chosen);
      expect(back?.deliveryAttempt).toBe(1);
    });

    it('pages through a long DLQ with nextToken, and the last page has none', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 2, { maxDeliveryAttempts: 1 });
      const group = groups[0]!;
      const producer = new Producer(client);
      const sent = [
        ...(await producer.sendBatch(
          topic,
          Array.from({ length: 25 }, (_, i) => `p${i}`),
        )),
        ...(await producer.sendBatch(
          topic,
          Array.from({ length: 25 }, (_, i) => `q${i}`),
        )),
      ];
      const consumer = new SimpleConsumer(client, { group });
      for (let got = 0; got < sent.length; ) {
        const batch = await consumer.receive({ maxMessages: 32 });
        expect(batch.length).toBeGreaterThan(0);
        await consumer.nack(batch);
        got += batch.length;
      }

      const pages: number[] = [];
      const listed: string[] = [];
      let after: string | undefined;
      do {
        const page = await client.listDeadLetters(group, { limit: 20, after });
        pages.push(page.deadLetters.length);
        listed.push(...page.deadLetters.map((letter) => letter.msgId));
        after = page.nextToken;
      } while (after !== undefined);
      expect(pages).toEqual([20, 20, 10]);
      expect(listed.sort()).toEqual(sent.map((r) => r.msgId).sort());

      const iterated: string[] = [];
      for await (const letter of client.iterateDeadLetters(group, { pageSize: 7 })) iterated.push(letter.msgId);
      expect(iterated.sort()).toEqual(listed);

      // An exact fit leaves no token behind, and a token that was not issued is refused.
      expect((await client.listDeadLetters(group, { limit: 50 })).nextToken).toBeUndefined();
      await expectApiError(client.listDeadLetters(group, { after: 'not-a-token' }), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });
    });

    it('answers 404 for the dead letters of an unknown group', async () => {
      const { client } = server();
      await expectApiError(client.listDeadLetters(unique('missing')), {
        code: 'GROUP_NOT_FOUND',
        status: 404,
        type: NotFoundError,
      });
      await expectApiError(client.redriveDeadLetters(unique('missing')), { code: 'GROUP_NOT_FOUND', status: 404 });
    });
  });
}
