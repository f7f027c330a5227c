import { describe, expect, it } from 'vitest';
import {
  type OutgoingMessage,
  PayloadTooLargeError,
  Producer,
  SimpleConsumer,
  ValidationError,
} from '../../src/sdk/index.ts';
import type { StartServer } from '../support/server.ts';
import { expectApiError, storedCount, topicWithGroups, unique, useServer } from './helpers.ts';

const MiB = 1024 * 1024;

function properties(count: number, valueLength = 1): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, 'v'.repeat(valueLength)]));
}

/** Every limit of DESIGN.md §1: its own code and status, and nothing stored. */
export function describeLimitsSuite(label: string, start: StartServer): void {
  describe(`${label}: limits`, () => {
    const server = useServer(start);

    it('accepts a 4 MiB body as text and as base64, and refuses one byte more', async () => {
      const { client, broker } = server();
      const { topic, groups } = await topicWithGroups(client, 1, { queueCount: 1 });
      const producer = new Producer(client);
      await producer.send(topic, 'a'.repeat(4 * MiB));
      const binary = new Uint8Array(4 * MiB).fill(0xff);
      await producer.send(topic, binary);
      await expectApiError(producer.send(topic, 'a'.repeat(4 * MiB + 1)), {
        code: 'BODY_TOO_LARGE',
        status: 413,
        type: PayloadTooLargeError,
      });
      await expectApiError(producer.send(topic, new Uint8Array(4 * MiB + 1)), { code: 'BODY_TOO_LARGE', status: 413 });
      expect(await storedCount(broker, topic)).toBe(2);
      const consumer = new SimpleConsumer(client, { group: groups[0]! });
      const [text, bytes] = await consumer.receive({ maxMessages: 2 });
      expect(text?.body.byteLength).toBe(4 * MiB);
      // Compared by hand: a deep equality over 4 Mi elements is slow.
      expect(bytes?.body.byteLength).toBe(4 * MiB);
      expect(bytes?.body.every((byte) => byte === 0xff)).toBe(true);
    });

    const refusals: [string, OutgoingMessage, string, number][] = [
      ['an empty body', { body: '' }, 'EMPTY_BODY', 400],
      ['an empty binary body', { body: new Uint8Array() }, 'EMPTY_BODY', 400],
      ['129 properties', { body: 'x', properties: properties(129) }, 'TOO_MANY_PROPERTIES', 400],
      ['over 16 KiB of properties', { body: 'x', properties: properties(2, 8 * 1024) }, 'PROPERTIES_TOO_LARGE', 413],
      [
        'over 16 KiB of keys',
        { body: 'x', keys: Array.from({ length: 200 }, (_, i) => `${i}`.padEnd(100, 'k')) },
        'PROPERTIES_TOO_LARGE',
        413,
      ],
      ['an empty property name', { body: 'x', properties: { '': 'v' } }, 'INVALID_PROPERTY', 400],
      [
        'a __proto__ property (it would vanish or pollute prototypes)',
        { body: 'x', properties: JSON.parse('{"__proto__":"v","ok":"v"}') },
        'INVALID_PROPERTY',
        400,
      ],
      ['a text body that is not valid Unicode', { body: 'half \ud800 a pair' }, 'INVALID_REQUEST', 400],
      [
        'a property value that is not valid Unicode',
        { body: 'x', properties: { p: '\udc00' } },
        'INVALID_PROPERTY',
        400,
      ],
      ['a tag that is not valid Unicode', { body: 'x', tag: 'a\ud800' }, 'INVALID_TAG', 400],
      ['a key that is not valid Unicode', { body: 'x', keys: ['\ud800'] }, 'INVALID_KEY', 400],
      ['a tag with a space', { body: 'x', tag: 'two words' }, 'INVALID_TAG', 400],
      ['a tag with ||', { body: 'x', tag: 'a||b' }, 'INVALID_TAG', 400],
      ['a * tag', { body: 'x', tag: '*' }, 'INVALID_TAG', 400],
      ['an empty tag', { body: 'x', tag: '' }, 'INVALID_TAG', 400],
      ['a key with whitespace', { body: 'x', keys: ['order 1'] }, 'INVALID_KEY', 400],
      ['a 129-character messageId', { body: 'x', messageId: 'm'.repeat(129) }, 'INVALID_MESSAGE_ID', 400],
      ['a messageId in the reserved % namespace', { body: 'x', messageId: '%held%0123' }, 'INVALID_MESSAGE_ID', 400],
      ['a messageGroup on a NORMAL topic', { body: 'x', messageGroup: 'g' }, 'MESSAGE_TYPE_MISMATCH', 400],
      ['a delay on a NORMAL topic', { body: 'x', delayMs: 1_000 }, 'MESSAGE_TYPE_MISMATCH', 400],
    ];
    for (const [what, message, code, status] of refusals) {
      it(`refuses ${what} with ${code} and stores nothing`, async () => {
        const { client, broker } = server();
        const { topic } = await topicWithGroups(client, 0, { queueCount: 1 });
        const producer = new Producer(client);
        await expectApiError(producer.send(topic, message), { code, status });
        // The same message inside an otherwise valid batch fails the whole batch.
        await expectApiError(producer.sendBatch(topic, ['fine', message]), { code, status });
        expect(await storedCount(broker, topic)).toBe(0);
      });
    }

    it('accepts exactly 128 properties and 32 messages per batch, refuses 33', async () => {
      const { client, broker } = server();
      const { topic } = await topicWithGroups(client, 0, { queueCount: 2 });
      const producer = new Producer(client);
      await producer.send(topic, { body: 'x', properties: properties(128) });
      const batch = Array.from({ length: 33 }, (_, i) => `m${i}`);
      await expectApiError(producer.sendBatch(topic, batch), {
        code: 'BATCH_TOO_LARGE',
        status: 413,
        type: PayloadTooLargeError,
      });
      expect(await storedCount(broker, topic)).toBe(1);
      await producer.sendBatch(topic, batch.slice(0, 32));
      expect(await storedCount(broker, topic)).toBe(33);
      await expectApiError(producer.sendBatch(topic, []), { code: 'INVALID_ARGUMENT', status: 400 });
    });

    it('refuses a batch whose bodies total over 4 MiB with BATCH_TOO_LARGE, storing none of it', async () => {
      const { client, broker } = server();
      const { topic } = await topicWithGroups(client, 0, { queueCount: 1 });
      const half = 'h'.repeat(2 * MiB + 1);
      await expectApiError(new Producer(client).sendBatch(topic, [half, half]), {
        code: 'BATCH_TOO_LARGE',
        status: 413,
        type: PayloadTooLargeError,
      });
      expect(await storedCount(broker, topic)).toBe(0);
    });

    it('refuses bad topic, group and client names with their own codes', async () => {
      const { client } = server();
      for (const name of ['has space', 'x'.repeat(65), '%DLQ%g', 'dot.ted', 'ünï']) {
        await expectApiError(client.createTopic(name), {
          code: 'INVALID_TOPIC_NAME',
          status: 400,
          type: ValidationError,
        });
        await expectApiError(new Producer(client).send(name, 'x'), { code: 'INVALID_TOPIC_NAME', status: 400 });
        await expectApiError(client.createGroup(name, { subscriptions: [] }), {
          code: 'INVALID_GROUP_NAME',
          status: 400,
        });
        // Reads and consume calls judge the name too, instead of answering 404 for a name that can never exist.
        await expectApiError(client.getTopic(name), { code: 'INVALID_TOPIC_NAME', status: 400 });
        await expectApiError(client.getGroup(name), { code: 'INVALID_GROUP_NAME', status: 400 });
        await expectApiError(client.listDeadLetters(name), { code: 'INVALID_GROUP_NAME', status: 400 });
        await expectApiError(client.redriveDeadLetters(name), { code: 'INVALID_GROUP_NAME', status: 400 });
        const consumer = new SimpleConsumer(client, { group: name });
        await expectApiError(consumer.receive(), { code: 'INVALID_GROUP_NAME', status: 400 });
        await expectApiError(consumer.ack('handle'), { code: 'INVALID_GROUP_NAME', status: 400 });
        await expectApiError(consumer.nack('handle'), { code: 'INVALID_GROUP_NAME', status: 400 });
        await expectApiError(consumer.changeInvisibleDuration('handle', 10_000), {
          code: 'INVALID_GROUP_NAME',
          status: 400,
        });
      }
      const { groups } = await topicWithGroups(client, 1);
      const broadcast = unique('broadcast');
      await client.createGroup(broadcast, { subscriptions: [], consumeMode: 'BROADCASTING' });
      for (const group of [groups[0]!, broadcast]) {
        const consumer = new SimpleConsumer(client, { group, clientId: 'bad id!' });
        await expectApiError(consumer.receive(), { code: 'INVALID_CLIENT_ID', status: 400 });
      }
    });

    it('refuses a FIFO send without a messageGroup (or with one too long), and 404 for a missing topic', async () => {
      const { client, broker } = server();
      const topic = unique('fifo');
      await client.createTopic(topic, { messageType: 'FIFO', queueCount: 2 });
      const producer = new Producer(client);
      await expectApiError(producer.send(topic, 'plain'), { code: 'MESSAGE_GROUP_REQUIRED', status: 400 });
      await expectApiError(producer.send(topic, { body: 'x', messageGroup: '' }), {
        code: 'MESSAGE_GROUP_REQUIRED',
        status: 400,
      });
      await expectApiError(producer.send(topic, { body: 'x', messageGroup: 'g'.repeat(129) }), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });
      // One bad message refuses the whole batch: nothing is half-written.
      await expectApiError(producer.sendBatch(topic, [{ body: 'a', messageGroup: 'g1' }, { body: 'b' }]), {
        code: 'MESSAGE_GROUP_REQUIRED',
        status: 400,
      });
      expect(await storedCount(broker, topic)).toBe(0);
      const sent = await producer.send(topic, { body: 'x', messageGroup: 'g'.repeat(128) });
      expect(sent.queueOffset).toBe(0);
      await expectApiError(new Producer(client).send(unique('missing'), 'x'), { code: 'TOPIC_NOT_FOUND', status: 404 });
    });

    it('refuses arguments out of range with INVALID_ARGUMENT, as the core does', async () => {
      const { client } = server();
      const { groups } = await topicWithGroups(client, 1);
      const consumer = new SimpleConsumer(client, { group: groups[0]! });
      for (const options of [
        { maxMessages: 33 },
        { maxMessages: 0 },
        { invisibleDurationMs: 9_999 },
        { waitMs: 20_001 },
      ]) {
        await expectApiError(consumer.receive(options), { code: 'INVALID_ARGUMENT', status: 400 });
      }
      await expectApiError(consumer.ack([]), { code: 'INVALID_ARGUMENT', status: 400 });
      await expectApiError(consumer.nack(Array.from({ length: 101 }, () => 'h')), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });
      await expectApiError(consumer.nack('h', { delayMs: -1 }), { code: 'INVALID_ARGUMENT', status: 400 });
      await expectApiError(server().client.createTopic(unique('t'), { queueCount: 65 }), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });
      await expectApiError(server().client.listDeadLetters(groups[0]!, { limit: 0 }), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });
    });
  });
}
