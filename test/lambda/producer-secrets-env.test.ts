import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaSettings, producerSecrets } from '../../src/lambda/broker-from-env.ts';
import { type KmsServer, startKmsServer } from '../support/kms-server.ts';

let kms: KmsServer;
const saved = { ...process.env };
beforeAll(async () => {
  kms = await startKmsServer();
  // How the stack's functions find KMS: the SDK's own endpoint variable (here the local endpoint).
  process.env['AWS_ENDPOINT_URL_KMS'] = kms.endpoint;
  process.env['AWS_REGION'] = 'us-east-1';
  process.env['AWS_ACCESS_KEY_ID'] = 'local';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'local';
});
afterAll(async () => {
  process.env = saved;
  await kms?.close();
});

const base = { NIMBUS_TABLE_PREFIX: 'nimbus', NIMBUS_BODY_BUCKET: 'bodies' };

describe('producer secrets from the function environment', () => {
  it('leaves secrets unsealed in functions the stack gives no key', () => {
    const settings = lambdaSettings(base);
    expect(settings.secretKeyArn).toBeUndefined();
    expect(producerSecrets(settings, { callsCheckers: true })).toBeUndefined();
  });

  it('seals with the named key, and opens only in the function that calls checkers', async () => {
    const settings = lambdaSettings({ ...base, NIMBUS_SECRET_KEY_ARN: kms.keyArn });
    const admin = producerSecrets(settings, { callsCheckers: false });
    const checkBack = producerSecrets(settings, { callsCheckers: true });
    expect(admin?.openOnRead).toBe(false);
    expect(checkBack?.openOnRead).toBe(true);
    kms.requests.length = 0;
    const sealed = (await admin?.sealer.seal('whsec-0123456789abcdef', { producerGroup: 'payments' })) ?? '';
    await expect(checkBack?.sealer.open(sealed, { producerGroup: 'payments' })).resolves.toBe('whsec-0123456789abcdef');
    expect(kms.requests.map((request) => [request.target, request.body['KeyId']])).toEqual([
      ['TrentService.Encrypt', kms.keyArn],
      ['TrentService.Decrypt', kms.keyArn],
    ]);
  });
});
