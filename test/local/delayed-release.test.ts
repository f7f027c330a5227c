import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedServer } from '../../src/local/embedded-server.ts';
import { Client, Producer, SimpleConsumer } from '../../src/sdk/index.ts';

/** The embedded broker's own timer releases delayed messages: no test hook calls releaseDue here. */
describe('embedded delayed release', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'nimbus-delay-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  async function setUp(url: string) {
    const client = new Client({ endpoint: url });
    await client.createTopic('reminders', { messageType: 'DELAY', queueCount: 2 });
    await client.createGroup('notify', { subscriptions: [{ topic: 'reminders' }] });
    return { client, consumer: new SimpleConsumer(client, { group: 'notify' }) };
  }

  it('wakes a waiting long-poll when a delayed message falls due', async () => {
    const server = await startEmbeddedServer({ dataDir });
    try {
      const { client, consumer } = await setUp(server.url);
      const polling = consumer.receive({ waitMs: 10_000 });
      const sent = await new Producer(client).send('reminders', { body: 'ping', delayMs: 300 });
      const [received] = await polling;
      expect(received?.msgId).toBe(sent.msgId);
      expect(Date.now()).toBeGreaterThanOrEqual(sent.deliverAt ?? Number.POSITIVE_INFINITY);
    } finally {
      await server.close();
    }
  });

  it('delivers messages that fell due while the broker was stopped as soon as it starts again', async () => {
    const first = await startEmbeddedServer({ dataDir });
    const { client } = await setUp(first.url);
    const sent = await new Producer(client).send('reminders', { body: 'overdue', delayMs: 200 });
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = await startEmbeddedServer({ dataDir });
    try {
      const consumer = new SimpleConsumer(new Client({ endpoint: second.url }), { group: 'notify' });
      const received = await consumer.receive({ waitMs: 5_000 });
      expect(received.map((m) => m.msgId)).toEqual([sent.msgId]);
    } finally {
      await second.close();
    }
  });
});
