import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { startEmbeddedServer } from '../../src/local/embedded-server.ts';
import { createStore } from '../../src/local/store-factory.ts';
import { Client, Producer, SimpleConsumer } from '../../src/sdk/index.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local.ts';

/** Sends and receives one message through an embedded server on `store`. */
async function roundTrip(store: BrokerStore): Promise<void> {
  const server = await startEmbeddedServer({ store });
  try {
    const client = new Client({ endpoint: server.url });
    await client.createTopic('factory', { queueCount: 1 });
    await client.createGroup('factory-g', { subscriptions: [{ topic: 'factory' }] });
    const sent = await new Producer(client).send('factory', 'through the chosen store');
    const consumer = new SimpleConsumer(client, { group: 'factory-g' });
    const [message] = await consumer.receive({ waitMs: 2_000 });
    expect(message?.msgId).toBe(sent.msgId);
    expect((await consumer.ack(message!))[0]?.ok).toBe(true);
  } finally {
    await server.close();
  }
}

describe('createStore: the store behind `nimbus start --store`', () => {
  let dataDir: string;
  let local: DynamoDbLocal;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'nimbus-factory-'));
    local = await startDynamoDbLocal();
  }, 60_000);

  afterAll(async () => {
    await local?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('opens the SQLite file in the data directory', async () => {
    const store = await createStore({ kind: 'sqlite', dataDir: join(dataDir, 'nested') });
    try {
      expect(existsSync(join(dataDir, 'nested', 'nimbus.db'))).toBe(true);
      await roundTrip(store);
    } finally {
      await store.close();
    }
  });

  it('opens DynamoDB (Local), creating its tables', async () => {
    const store = await createStore({ kind: 'dynamodb', endpoint: local.endpoint, tablePrefix: 'factory' });
    try {
      await roundTrip(store);
    } finally {
      await store.close();
    }
  }, 60_000);
});
