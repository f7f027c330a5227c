import { randomBytes } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbStore, ProducerSecretOptions } from '../../../src/adapters/dynamodb/index.ts';
import { KmsSecretSealer } from '../../../src/adapters/kms/index.ts';
import type { ProducerGroup } from '../../../src/core/producer-group.ts';
import { TransactionProducer } from '../../../src/sdk/index.ts';
import { WEBHOOK_SECRET, WebhookServer } from '../../http/payment-service.ts';
import { type KmsServer, startKmsServer } from '../../support/kms-server.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import { startServerOn } from '../../support/server.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

// Producer groups on DynamoDB Local with webhook secrets sealed by KMS (a KMS JSON-protocol
// endpoint on port 0, see test/support/kms-server.ts), as the admin and check-back functions run.
let aws: LocalAws;
let kms: KmsServer;
let kmsClient: KMSClient;
let dynamo: DynamoDBClient;
const webhook = new WebhookServer();
let webhookUrl = '';

beforeAll(async () => {
  [aws, kms] = await Promise.all([startLocalAws(), startKmsServer()]);
  kmsClient = new KMSClient({
    endpoint: kms.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  dynamo = new DynamoDBClient({
    endpoint: aws.dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  webhookUrl = await webhook.start();
}, 120_000);

afterAll(async () => {
  await webhook.stop();
  dynamo?.destroy();
  kmsClient?.destroy();
  await kms?.close();
  await aws?.stop();
});

const sealing = (openOnRead: boolean): ProducerSecretOptions => ({
  sealer: new KmsSecretSealer({ keyId: kms.keyArn, client: kmsClient }),
  openOnRead,
});
const prefixOf = (store: DynamoDbStore) => store.tables.state.replace(/-state$/, '');
const unique = (name: string) => `${name}${randomBytes(3).toString('hex')}`;

function webhookGroup(name: string): ProducerGroup {
  return {
    name,
    checker: { type: 'webhook', url: webhookUrl, secret: WEBHOOK_SECRET },
    firstCheckAfterMs: 6_000,
    checkIntervalMs: 30_000,
    maxChecks: 3,
    createdAt: 1,
  };
}

async function storedItem(store: DynamoDbStore, name: string) {
  const { Item } = await dynamo.send(
    new GetItemCommand({
      TableName: store.tables.state,
      Key: { p: { S: 'producer-group' }, s: { S: name } },
      ConsistentRead: true,
    }),
  );
  return Item;
}

describe('webhook secrets sealed with KMS on DynamoDB', () => {
  it('stores no plaintext secret, and the API never returns it', async () => {
    const store = await aws.openStore({ secrets: sealing(true) });
    const server = await startServerOn(store);
    try {
      const name = unique('payments');
      kms.requests.length = 0;
      const put = await server.client.putProducerGroup(name, {
        checker: { type: 'webhook', url: webhookUrl, secret: WEBHOOK_SECRET },
      });
      expect(kms.requests.map((request) => [request.target, request.body['EncryptionContext']])).toEqual([
        ['TrentService.Encrypt', { producerGroup: name }],
      ]);
      const item = await storedItem(store, name);
      expect(item?.['ws']?.S).toEqual(expect.any(String));
      expect(JSON.stringify(item)).not.toContain(WEBHOOK_SECRET);
      expect(JSON.parse(item?.['d']?.S ?? '{}').checker).toEqual({ type: 'webhook', url: webhookUrl });
      const got = await server.client.getProducerGroup(name);
      const listed = await server.client.listProducerGroups();
      expect(got.checker).toEqual({ type: 'webhook', url: webhookUrl, secretSet: true });
      for (const answer of [put, got, listed]) expect(JSON.stringify(answer)).not.toContain(WEBHOOK_SECRET);
      expect(server.loggedErrors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('signs check-back webhook calls with the opened secret', async () => {
    const clock = new ManualClock();
    const server = await startServerOn(await aws.openStore({ secrets: sealing(true) }), { clock });
    try {
      const { client, broker } = server;
      const topic = unique('transfers');
      const producerGroup = unique('payments');
      await client.createTopic(topic, { messageType: 'TRANSACTION', queueCount: 1 });
      await client.putProducerGroup(producerGroup, {
        checker: { type: 'webhook', url: webhookUrl, secret: WEBHOOK_SECRET },
      });
      const half = await new TransactionProducer(client, { producerGroup }).sendHalf(topic, { body: 'transfer' });
      webhook.behaviour = () => 'COMMIT';
      clock.advance(6_000);
      expect(await broker.transactions.checkDue()).toMatchObject({ committed: 1 });
      // The webhook verifies the signature with WEBHOOK_SECRET and refuses any other.
      expect(webhook.seen.filter((seen) => seen.transactionId === half.transactionId)).toEqual([
        { transactionId: half.transactionId, checkAttempt: 1, decision: 'COMMIT' },
      ]);
      expect(webhook.refused).toEqual([]);
    } finally {
      webhook.behaviour = () => 'UNKNOWN';
      await server.close();
    }
  });

  it('opens only where configured: elsewhere a sealed secret reads as withheld, with no KMS call', async () => {
    const admin = await aws.openStore({ secrets: sealing(false) });
    const name = unique('payments');
    await admin.saveProducerGroup(webhookGroup(name));
    const checkBack = await aws.openStore({ tablePrefix: prefixOf(admin), secrets: sealing(true) });
    const send = await aws.openStore({ tablePrefix: prefixOf(admin) });
    kms.requests.length = 0;
    expect(await admin.getProducerGroup(name)).toEqual({
      ...webhookGroup(name),
      checker: { ...webhookGroup(name).checker, secret: '' },
    });
    expect(await send.getProducerGroup(name)).toMatchObject({ checker: { secret: '' } });
    expect(kms.requests).toEqual([]);
    expect(await checkBack.getProducerGroup(name)).toEqual(webhookGroup(name));
    expect(await checkBack.listProducerGroups()).toEqual([webhookGroup(name)]);
  });

  it('reads records written before secrets were sealed as they are', async () => {
    const before = await aws.openStore();
    const name = unique('payments');
    await before.saveProducerGroup(webhookGroup(name));
    expect(JSON.stringify(await storedItem(before, name))).toContain(WEBHOOK_SECRET);
    const after = await aws.openStore({ tablePrefix: prefixOf(before), secrets: sealing(true) });
    kms.requests.length = 0;
    expect(await after.getProducerGroup(name)).toEqual(webhookGroup(name));
    expect(kms.requests).toEqual([]);
    // Registering it again seals it.
    await after.saveProducerGroup(webhookGroup(name));
    expect(JSON.stringify(await storedItem(before, name))).not.toContain(WEBHOOK_SECRET);
    expect(await after.getProducerGroup(name)).toEqual(webhookGroup(name));
  });

  it('refuses a sealed secret copied into another producer group', async () => {
    const store = await aws.openStore({ secrets: sealing(true) });
    const [victim, thief] = [unique('payments'), unique('thief')];
    await store.saveProducerGroup(webhookGroup(victim));
    await store.saveProducerGroup({
      ...webhookGroup(thief),
      checker: { type: 'webhook', url: webhookUrl, secret: 'thief-own-secret-0123' },
    });
    const stolen = (await storedItem(store, victim))?.['ws']?.S ?? '';
    await dynamo.send(
      new UpdateItemCommand({
        TableName: store.tables.state,
        Key: { p: { S: 'producer-group' }, s: { S: thief } },
        UpdateExpression: 'SET ws = :ws',
        ExpressionAttributeValues: { ':ws': { S: stolen } },
      }),
    );
    await expect(store.getProducerGroup(thief)).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
  });
});
