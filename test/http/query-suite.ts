import { describe, expect, it } from 'vitest';
import { NotFoundError, Producer, SimpleConsumer, TransactionProducer } from '../../src/sdk/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import type { StartServer } from '../support/server.ts';
import { expectApiError, topicWithGroups, unique, useServer } from './helpers.ts';

const HOUR = 3_600_000;

/** Message query by id, key and time, the lifecycle trace, and topic stats over HTTP. */
export function describeQuerySuite(label: string, start: StartServer): void {
  describe(`${label}: message query and trace`, () => {
    const clock = new ManualClock(Date.now());
    const server = useServer(start, () => ({ clock }));

    it('finds messages by msgId, by key and by time range, page by page with nothing missed or repeated', async () => {
      const { client } = server();
      const topic = unique('query');
      await client.createTopic(topic, { queueCount: 3 });
      const producer = new Producer(client);
      const startTime = clock.now();
      const sent: string[] = [];
      for (let i = 0; i < 7; i++) {
        const keys = i % 2 === 0 ? ['order-7'] : ['other'];
        sent.push((await producer.send(topic, { body: `m${i}`, keys, tag: 'T', properties: { i: String(i) } })).msgId);
        clock.advance(10);
      }
      const endTime = clock.now();
      clock.advance(1_000);
      await producer.send(topic, { body: 'later', keys: ['order-7'] });

      const one = await client.getMessage(sent[3]!);
      expect(one).toMatchObject({ msgId: sent[3], topic, body: 'm3', bodyEncoding: 'utf8', tag: 'T', keys: ['other'] });
      expect(one.properties).toEqual({ i: '3' });
      expect(typeof one.queueOffset).toBe('number');
      await expectApiError(client.getMessage('0000000000000000FFFFFFFFFFFFFFFF'), {
        code: 'MESSAGE_NOT_FOUND',
        status: 404,
        type: NotFoundError,
      });
      await expectApiError(client.getMessage('no such id!'), { code: 'MESSAGE_NOT_FOUND', status: 404 });

      const byKey: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await client.queryMessages(topic, { key: 'order-7', limit: 2, nextToken });
        byKey.push(...page.messages.map((message) => message.body));
        nextToken = page.nextToken;
        pages++;
      } while (nextToken);
      expect(byKey).toEqual(['m0', 'm2', 'm4', 'm6', 'later']);
      expect(pages).toBeGreaterThanOrEqual(3);

      const byTime: string[] = [];
      nextToken = undefined;
      do {
        const page = await client.queryMessages(topic, { startTime, endTime, limit: 3, nextToken });
        byTime.push(...page.messages.map((message) => message.msgId));
        nextToken = page.nextToken;
      } while (nextToken);
      expect([...byTime].sort()).toEqual([...sent].sort());

      await expectApiError(client.queryMessages(topic, {}), { code: 'INVALID_ARGUMENT', status: 400 });
      await expectApiError(client.queryMessages(topic, { key: 'k', nextToken: 'garbage' }), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });
      await expectApiError(client.queryMessages(topic, { key: 'k', limit: 1001 }), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });

      const stats = await client.topicStats(topic);
      expect(stats.queues.reduce((sum, queue) => sum + queue.messageCount, 0)).toBe(8);
      expect(stats.queues.map((queue) => queue.minOffset)).toEqual([0, 0, 0]);
      expect(stats).toMatchObject({ topic, scheduled: 0, halfMessages: 0 });
    });

    it('pages past 1,000 matches with no hidden cap, and answers edited or out-of-range paging with 400', async () => {
      const { client, broker, url } = server();
      const topic = unique('querycap');
      await client.createTopic(topic, { queueCount: 2 });
      const key = 'order/ü&=?#%+1';
      const startTime = clock.now();
      for (let sent = 0; sent < 1_050; sent += 30) {
        const count = Math.min(30, 1_050 - sent);
        await broker.producer.send(
          topic,
          Array.from({ length: count }, (_, i) => ({ body: new TextEncoder().encode(`m${sent + i}`), keys: [key] })),
        );
      }
      const endTime = clock.now();
      const byKey = new Set<string>();
      let nextToken: string | undefined;
      const keyPages: number[] = [];
      do {
        const page = await client.queryMessages(topic, { key, limit: 1_000, nextToken });
        for (const message of page.messages) byKey.add(message.msgId);
        keyPages.push(page.messages.length);
        nextToken = page.nextToken;
      } while (nextToken);
      expect(byKey.size).toBe(1_050);
      expect(keyPages).toEqual([1_000, 50]);
      const byTime = new Set<string>();
      let timeToken: string | undefined;
      do {
        const page = await client.queryMessages(topic, { startTime, endTime, limit: 1_000, nextToken: timeToken });
        for (const message of page.messages) byTime.add(message.msgId);
        timeToken = page.nextToken;
      } while (timeToken);
      expect(byTime).toEqual(byKey);

      const status = async (query: string) => {
        const response = await fetch(`${url}/v1/topics/${topic}/messages?${query}`);
        const body = (await response.json()) as { code?: string };
        return `${response.status} ${body.code ?? ''}`.trim();
      };
      const keyPage = await client.queryMessages(topic, { key, limit: 1 });
      const timePage = await client.queryMessages(topic, { startTime, endTime, limit: 1 });
      const keyQuery = `key=${encodeURIComponent(key)}`;
      const range = `startTime=${startTime}&endTime=${endTime}`;
      expect(await status(`${keyQuery}&limit=0`)).toBe('400 INVALID_ARGUMENT');
      expect(await status(`${keyQuery}&limit=1001`)).toBe('400 INVALID_ARGUMENT');
      expect(await status(`${keyQuery}&limit=ten`)).toBe('400 INVALID_REQUEST');
      expect(await status(`${keyQuery}&limit=1000`)).toBe('200');
      expect(await status(`startTime=${endTime + 1}&endTime=${startTime}`)).toBe('400 INVALID_ARGUMENT');
      expect(await status('startTime=yesterday')).toBe('400 INVALID_REQUEST');
      // A token of the other kind of query, an edited one, or one of some other format.
      expect(await status(`${range}&nextToken=${encodeURIComponent(keyPage.nextToken ?? '')}`)).toBe(
        '400 INVALID_ARGUMENT',
      );
      expect(await status(`${keyQuery}&after=${encodeURIComponent(timePage.nextToken ?? '')}`)).toBe(
        '400 INVALID_ARGUMENT',
      );
      const edited = (timePage.nextToken ?? '').replace(/~\d+$/, '~-1');
      expect(await status(`${range}&nextToken=${encodeURIComponent(edited)}`)).toBe('400 INVALID_ARGUMENT');
      expect(await status(`${range}&nextToken=${'x'.repeat(600)}`)).toBe('400 INVALID_ARGUMENT');
      // A well-formed token pointing past the topic's queues finds nothing there, and nothing of another topic.
      const outside = await client.queryMessages(topic, { startTime, endTime, nextToken: 'qt1~7~0' });
      expect(outside.messages).toEqual([]);
    });

    it('traces a message that was nacked, expired, dead-lettered, redriven and acked', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1, { queueCount: 1, maxDeliveryAttempts: 3 });
      const group = groups[0]!;
      const sent = await new Producer(client).send(topic, { body: 'troubled' });
      const consumer = new SimpleConsumer(client, { group, clientId: 'worker-1' });

      const [first] = await consumer.receive({ invisibleDurationMs: 30_000 });
      clock.advance(1);
      expect((await consumer.nack(first!, { delayMs: 1_000 }))[0]?.ok).toBe(true);
      clock.advance(2_000);
      expect((await consumer.receive({ invisibleDurationMs: 30_000 }))[0]?.deliveryAttempt).toBe(2);
      clock.advance(31_000); // not acked: its invisible time runs out
      const [third] = await consumer.receive({ invisibleDurationMs: 30_000 });
      expect(third?.deliveryAttempt).toBe(3);
      clock.advance(1);
      expect((await consumer.nack(third!))[0]?.ok).toBe(true); // the last attempt: dead-lettered
      clock.advance(1);
      expect(await client.redriveDeadLetters(group)).toEqual({ redriven: 1, expired: 0 });
      clock.advance(1);
      const [back] = await consumer.receive();
      clock.advance(1);
      expect((await consumer.ack(back!))[0]?.ok).toBe(true);

      const trace = await client.traceMessage(sent.msgId);
      expect(trace.msgId).toBe(sent.msgId);
      expect(trace.events.map((event) => event.type)).toEqual([
        'SENT',
        'DELIVERED',
        'NACKED',
        'INVISIBLE_EXPIRED',
        'DELIVERED',
        'INVISIBLE_EXPIRED',
        'DELIVERED',
        'DEAD_LETTERED',
        'REDRIVEN',
        'DELIVERED',
        'ACKED',
      ]);
      const times = trace.events.map((event) => event.time);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(trace.events[0]).toMatchObject({ type: 'SENT', queueId: 0, queueOffset: sent.queueOffset });
      const deliveries = trace.events.filter((event) => event.type === 'DELIVERED');
      expect(deliveries.map((event) => event.attempt)).toEqual([1, 2, 3, 1]);
      expect(deliveries[0]).toMatchObject({ group, queueId: 0, queueOffset: sent.queueOffset });
      expect(trace.events.find((event) => event.type === 'DEAD_LETTERED')?.reason).toMatch(/attempt 3 of 3/);
      await expectApiError(client.traceMessage('0000000000000000FFFFFFFFFFFFFFFF'), {
        code: 'MESSAGE_NOT_FOUND',
        status: 404,
      });
    });

    it('records no lifecycle events for a topic whose trace is off, and again once it is back on', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1, { queueCount: 1 });
      expect((await client.createTopic(topic, { trace: false })).trace).toBe(false);
      const sent = await new Producer(client).send(topic, { body: 'quiet' });
      const consumer = new SimpleConsumer(client, { group: groups[0]! });
      await consumer.ack(await consumer.receive());
      expect((await client.traceMessage(sent.msgId)).events.map((event) => event.type)).toEqual(['SENT']);
      expect((await client.createTopic(topic, { trace: true })).trace).toBe(true);
      expect((await client.getTopic(topic)).trace).toBe(true);
    });

    it('answers a delayed message still held, with its deliverAt', async () => {
      const { client } = server();
      const topic = unique('delayed');
      await client.createTopic(topic, { messageType: 'DELAY', queueCount: 1 });
      const deliverAt = clock.now() + HOUR;
      const sent = await new Producer(client).send(topic, { body: 'later', deliverAt });
      expect(await client.getMessage(sent.msgId)).toMatchObject({
        msgId: sent.msgId,
        deliverAt,
        scheduleState: 'SCHEDULED',
      });
      expect((await client.topicStats(topic)).scheduled).toBe(1);
      expect((await client.traceMessage(sent.msgId)).events.map((event) => event.type)).toEqual(['SCHEDULED']);
    });

    it('answers and traces transactional messages: prepared, then committed or rolled back', async () => {
      const { client } = server();
      const topic = unique('tx');
      const producerGroup = unique('payments');
      await client.createTopic(topic, { messageType: 'TRANSACTION', queueCount: 1 });
      await client.putProducerGroup(producerGroup, { checker: { type: 'poll' } });
      const producer = new TransactionProducer(client, { producerGroup });
      const kept = await producer.sendHalf(topic, { body: 'kept' });
      const dropped = await producer.sendHalf(topic, { body: 'dropped' });
      expect(await client.getMessage(kept.msgId)).toMatchObject({ transactionState: 'PREPARED', producerGroup });
      clock.advance(1);
      const committed = await producer.commit(kept.transactionId);
      await producer.rollback(dropped.transactionId);
      // A retried decision answers the same and records nothing new: each happened once.
      clock.advance(1);
      await producer.commit(kept.transactionId);
      await producer.rollback(dropped.transactionId);
      expect(await client.getMessage(kept.msgId)).toMatchObject({
        transactionState: 'COMMITTED',
        queueOffset: committed.queueOffset,
      });
      expect(await client.getMessage(dropped.msgId)).toMatchObject({ transactionState: 'ROLLED_BACK' });
      const trace = (await client.traceMessage(kept.msgId)).events;
      expect(trace.map((event) => event.type)).toEqual(['PREPARED', 'COMMITTED']);
      expect(trace[1]).toMatchObject({ group: producerGroup, queueOffset: committed.queueOffset });
      const rolledBack = (await client.traceMessage(dropped.msgId)).events;
      expect(rolledBack.map((event) => [event.type, event.reason])).toEqual([
        ['PREPARED', undefined],
        ['ROLLED_BACK', 'rolled back by the producer'],
      ]);
    });
  });
}
