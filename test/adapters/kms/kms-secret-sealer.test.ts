import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsSecretSealer } from '../../../src/adapters/kms/index.ts';
import { type KmsServer, startKmsServer } from '../../support/kms-server.ts';

let kms: KmsServer;
let client: KMSClient;
beforeAll(async () => {
  kms = await startKmsServer();
  client = new KMSClient({
    endpoint: kms.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  client?.destroy();
  await kms?.close();
});

const SECRET = 'whsec-0123456789abcdef';
const payments = { producerGroup: 'payments' };

describe('KmsSecretSealer', () => {
  it('sends Encrypt with the key and the encryption context, and keeps no plaintext in the sealed text', async () => {
    const sealer = new KmsSecretSealer({ keyId: kms.keyArn, client });
    kms.requests.length = 0;
    const sealed = await sealer.seal(SECRET, payments);
    expect(kms.requests).toEqual([
      {
        target: 'TrentService.Encrypt',
        body: { KeyId: kms.keyArn, Plaintext: Buffer.from(SECRET).toString('base64'), EncryptionContext: payments },
      },
    ]);
    expect(sealed).not.toContain(SECRET);
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain(SECRET);
  });

  it('opens with Decrypt under the same key and context, never sending the plaintext', async () => {
    const sealer = new KmsSecretSealer({ keyId: kms.keyArn, client });
    const sealed = await sealer.seal(SECRET, payments);
    kms.requests.length = 0;
    await expect(sealer.open(sealed, payments)).resolves.toBe(SECRET);
    expect(kms.requests).toEqual([
      {
        target: 'TrentService.Decrypt',
        body: { KeyId: kms.keyArn, CiphertextBlob: sealed, EncryptionContext: payments },
      },
    ]);
  });

  it('refuses a sealed secret under another producer group', async () => {
    const sealer = new KmsSecretSealer({ keyId: kms.keyArn, client });
    const sealed = await sealer.seal(SECRET, payments);
    await expect(sealer.open(sealed, { producerGroup: 'orders' })).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
    });
  });

  it('keeps an opened secret in memory for cacheMs, then asks KMS again', async () => {
    let now = 1_000_000;
    const sealer = new KmsSecretSealer({ keyId: kms.keyArn, client, cacheMs: 60_000, now: () => now });
    const sealed = await sealer.seal(SECRET, payments);
    kms.requests.length = 0;
    await sealer.open(sealed, payments);
    now += 59_999;
    await expect(sealer.open(sealed, payments)).resolves.toBe(SECRET);
    expect(kms.requests).toHaveLength(1);
    now += 1;
    await expect(sealer.open(sealed, payments)).resolves.toBe(SECRET);
    expect(kms.requests.map((request) => request.target)).toEqual(['TrentService.Decrypt', 'TrentService.Decrypt']);
  });

  it('does not serve a cached secret to another context', async () => {
    const sealer = new KmsSecretSealer({ keyId: kms.keyArn, client });
    const sealed = await sealer.seal(SECRET, payments);
    await sealer.open(sealed, payments);
    await expect(sealer.open(sealed, { producerGroup: 'orders' })).rejects.toThrow();
  });
});
