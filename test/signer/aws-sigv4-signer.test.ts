import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Client } from '../../src/sdk/client.ts';
import { awsSigV4Signer, signerForEndpoint } from '../../src/signer/aws-sigv4-signer.ts';

// The example credentials and time of AWS's published Signature Version 4 test suite.
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const suiteTime = () => new Date(Date.UTC(2015, 7, 30, 12, 36, 0));

describe('awsSigV4Signer', () => {
  it('reproduces the AWS SigV4 test suite signature for get-vanilla', async () => {
    const sign = awsSigV4Signer({ credentials, region: 'us-east-1', service: 'service', now: suiteTime });
    const signed = await sign({ method: 'GET', url: 'https://example.amazonaws.com/', headers: {} });
    expect(signed.headers['x-amz-date']).toBe('20150830T123600Z');
    expect(signed.headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('takes the region from an execute-api host and signs the body and session token', async () => {
    const sign = awsSigV4Signer({ credentials: { ...credentials, sessionToken: 'token-1' }, now: suiteTime });
    const signed = await sign({
      method: 'POST',
      url: 'https://abc123.execute-api.eu-west-2.amazonaws.com/v1/topics/orders/messages?x=1',
      headers: { 'content-type': 'application/json' },
      body: '{"body":"hi"}',
    });
    expect(signed.headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/eu-west-2\/execute-api\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(signed.headers['x-amz-security-token']).toBe('token-1');
    expect(signed.headers['host']).toBeUndefined();
    expect(signed.body).toBe('{"body":"hi"}');
  });

  it('refuses to guess a region it cannot find', async () => {
    const saved = process.env['AWS_REGION'];
    delete process.env['AWS_REGION'];
    try {
      const sign = awsSigV4Signer({ credentials });
      await expect(sign({ method: 'GET', url: 'https://queue.example.com/v1/topics', headers: {} })).rejects.toThrow(
        /needs a region/,
      );
    } finally {
      if (saved !== undefined) process.env['AWS_REGION'] = saved;
    }
  });

  it('finds credentials through the standard AWS chain (environment variables here)', async () => {
    process.env['AWS_ACCESS_KEY_ID'] = 'AKIDFROMENV';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'secret-from-env';
    try {
      const signed = await awsSigV4Signer({ region: 'us-east-1' })({
        method: 'GET',
        url: 'https://abc.execute-api.us-east-1.amazonaws.com/v1/topics',
        headers: {},
      });
      expect(signed.headers['authorization']).toContain('Credential=AKIDFROMENV/');
    } finally {
      delete process.env['AWS_ACCESS_KEY_ID'];
      delete process.env['AWS_SECRET_ACCESS_KEY'];
    }
  });

  it('signs every request the SDK client sends', async () => {
    const seen: IncomingMessage['headers'][] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"topics":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = new Client({
        endpoint: `http://127.0.0.1:${port}`,
        signer: awsSigV4Signer({ credentials, region: 'us-east-1' }),
      });
      expect(await client.listTopics()).toEqual([]);
      expect(seen[0]?.['authorization']).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\//);
      expect(seen[0]?.['host']).toBe(`127.0.0.1:${port}`);
    } finally {
      server.close();
    }
  });

  it('picks signing by endpoint: API Gateway hosts and NIMBUS_AUTH=aws-sigv4 sign, the embedded broker does not', () => {
    const api = 'https://a1b2c3.execute-api.eu-central-1.amazonaws.com';
    expect(signerForEndpoint(api, {})).toBeTypeOf('function');
    expect(signerForEndpoint('http://127.0.0.1:9800', {})).toBeUndefined();
    expect(signerForEndpoint('https://queue.example.com', { NIMBUS_AUTH: 'aws-sigv4' })).toBeTypeOf('function');
    expect(signerForEndpoint(api, { NIMBUS_AUTH: 'none' })).toBeUndefined();
    expect(() => signerForEndpoint(api, { NIMBUS_AUTH: 'basic' })).toThrow(/NIMBUS_AUTH/);
  });
});
