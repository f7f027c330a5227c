import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { type EmbeddedServer, startEmbeddedServer } from '../../src/local/embedded-server.ts';
import { Client, SimpleConsumer, TransactionProducer } from '../../src/sdk/index.ts';
import { WEBHOOK_SECRET, WebhookServer } from '../http/payment-service.ts';

let server: EmbeddedServer;
let store: BrokerStore;
const webhook = new WebhookServer();
let webhookUrl = '';

beforeAll(async () => {
  store = openSqliteStore({ path: ':memory:' });
  server = await startEmbeddedServer({ store });
  webhookUrl = await webhook.start();
});

afterAll(async () => {
  await server.close();
  await store.close();
  await webhook.stop();
});

describe('embedded check-back driver', () => {
  it('checks an undecided transaction at its first check time, on its own, and delivers the commit', async () => {
    const client = new Client({ endpoint: server.url });
    await client.createTopic('driven', { messageType: 'TRANSACTION', queueCount: 1 });
    await client.createGroup('driven-g', { subscriptions: [{ topic: 'driven' }] });
    await client.putProducerGroup('driven-p', {
      checker: { type: 'webhook', url: webhookUrl, secret: WEBHOOK_SECRET },
      firstCheckAfterMs: 1_000,
    });
    webhook.behaviour = () => 'COMMIT';
    const half = await new TransactionProducer(client, { producerGroup: 'driven-p' }).sendHalf('driven', 'undecided');
    const consumer = new SimpleConsumer(client, { group: 'driven-g' });
    expect(await consumer.receive({ waitMs: 500 })).toEqual([]);
    // Within one 10 s long-poll: the hold woke the driver for its first check time (the
    // driver's safety interval is 60 s).
    const [message] = await consumer.receive({ waitMs: 10_000 });
    expect(message?.msgId).toBe(half.msgId);
    expect(webhook.seen).toEqual([{ transactionId: half.transactionId, checkAttempt: 1, decision: 'COMMIT' }]);
  });
});
