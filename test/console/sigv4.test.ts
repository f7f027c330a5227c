import { describe, expect, it } from 'vitest';
import { sigV4Signer } from '../../src/console/sigv4.ts';
import { awsSigV4Signer } from '../../src/signer/aws-sigv4-signer.ts';

/**
 * The console's browser signer must sign exactly as the SDK's Node signer does, whose
 * signatures API Gateway accepts: same keys, same time, same request, same headers.
 */
const keys = {
  region: 'eu-west-1',
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const at = () => new Date('2026-11-29T12:00:00Z');

describe('the console SigV4 signer', () => {
  it.each([
    {
      method: 'GET',
      url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/topics/orders/messages?key=o-1&limit=50',
    },
    {
      method: 'POST',
      url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/groups/billing/dlq/redrive',
      body: '{"msgIds":["A"]}',
    },
  ])('signs $method $url as the Node signer does, without a Host header a browser would refuse', async (shape) => {
    const request = { ...shape, headers: { accept: 'application/json', 'content-type': 'application/json' } };
    const fromConsole = await sigV4Signer(keys, at)(request);
    const fromNode = await awsSigV4Signer({
      region: keys.region,
      credentials: {
        accessKeyId: keys.accessKeyId,
        secretAccessKey: keys.secretAccessKey,
        sessionToken: keys.sessionToken,
      },
      now: at,
    })(request);
    expect(fromConsole.headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261129\/eu-west-1\/execute-api\/aws4_request/,
    );
    expect(fromConsole.headers).toEqual(fromNode.headers);
    expect(fromConsole.headers['x-amz-security-token']).toBe(keys.sessionToken);
    expect(Object.keys(fromConsole.headers)).not.toContain('host');
  });

  it('changes the signature when the secret differs', async () => {
    const request = { method: 'GET', url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/topics', headers: {} };
    const right = await sigV4Signer(keys, at)(request);
    const wrong = await sigV4Signer({ ...keys, secretAccessKey: 'another' }, at)(request);
    expect(right.headers['authorization']).not.toBe(wrong.headers['authorization']);
  });
});
