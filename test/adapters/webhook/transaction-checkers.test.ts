import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookChecker } from '../../../src/adapters/webhook/webhook-checker.ts';
import type { TransactionCheck } from '../../../src/core/ports/transaction-checker.ts';
import type { ProducerGroup } from '../../../src/core/producer-group.ts';
import { inProcessInvoker } from '../../../src/push/in-process-invoker.ts';
import { LambdaTransactionChecker } from '../../../src/push/lambda-transaction-checker.ts';
import { verifyWebhookSignature } from '../../../src/sdk/index.ts';

const SECRET = 'a-secret-of-enough-length';
const check: TransactionCheck = {
  transactionId: 't1~transfers~M1',
  msgId: 'M1',
  topic: 'transfers',
  producerGroup: 'payments',
  checkAttempt: 2,
  body: new Uint8Array([0xff, 0x00, 0x41]),
  tag: 'done',
  keys: ['tx-1'],
  properties: { region: 'eu' },
};
const group = (checker: ProducerGroup['checker']): ProducerGroup => ({
  name: 'payments',
  checker,
  firstCheckAfterMs: 6_000,
  checkIntervalMs: 30_000,
  maxChecks: 15,
  createdAt: 0,
});

/** A webhook whose reply each test sets; it records what arrived. */
let reply: (body: string) => { status: number; body: string; delayMs?: number; location?: string };
const received: { body: string; signature: string | undefined }[] = [];
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    const signature = request.headers['x-nimbus-signature'];
    received.push({ body, signature: typeof signature === 'string' ? signature : undefined });
    const answer = reply(body);
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (response.destroyed) return;
    response.writeHead(answer.status, answer.location ? { location: answer.location } : {}).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/check`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('webhook checker', () => {
  const checker = new WebhookChecker({ timeoutMs: 300 });
  const webhook = () => group({ type: 'webhook', url, secret: SECRET });

  it('POSTs the check as JSON, signed so the SDK verifies it, and never sends the secret', async () => {
    reply = () => ({ status: 200, body: '{"decision":"COMMIT"}' });
    received.length = 0;
    expect(await checker.check(webhook(), check)).toBe('COMMIT');
    const [{ body, signature } = { body: '', signature: undefined }] = received;
    expect(JSON.parse(body)).toEqual({
      transactionId: check.transactionId,
      msgId: 'M1',
      topic: 'transfers',
      producerGroup: 'payments',
      checkAttempt: 2,
      body: '/wBB',
      bodyEncoding: 'base64',
      tag: 'done',
      keys: ['tx-1'],
      properties: { region: 'eu' },
    });
    expect(body).not.toContain(SECRET);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await verifyWebhookSignature(SECRET, body, signature)).toBe(true);
    expect(await verifyWebhookSignature('another-secret-entirely', body, signature)).toBe(false);
    expect(await verifyWebhookSignature(SECRET, body.replace('M1', 'M2'), signature)).toBe(false);
    expect(await verifyWebhookSignature(SECRET, body, signature, { now: () => Date.now() + 600_000 })).toBe(false);
  });

  it('counts a timeout, an error status, a redirect or an unreadable answer as UNKNOWN', async () => {
    const cases = [
      { status: 200, body: '{"decision":"ROLLBACK"}', expected: 'ROLLBACK' },
      { status: 200, body: '{"decision":"COMMIT"}', delayMs: 1_000, expected: 'UNKNOWN' },
      { status: 500, body: '{"decision":"COMMIT"}', expected: 'UNKNOWN' },
      { status: 302, body: '', location: 'http://example.com/', expected: 'UNKNOWN' },
      { status: 200, body: 'yes please', expected: 'UNKNOWN' },
      { status: 200, body: '{"decision":"commit"}', expected: 'UNKNOWN' },
    ];
    for (const { expected, ...answer } of cases) {
      reply = () => answer;
      expect(await checker.check(webhook(), check), JSON.stringify(answer)).toBe(expected);
    }
  });

  it('stops reading an answer past 4 KiB (UNKNOWN) instead of buffering all a webhook sends', async () => {
    // An answer that never ends: only a reader that stops at the limit answers before the timeout.
    const endless = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(`{"decision":"COMMIT","padding":"`);
      const pump = setInterval(() => response.write('x'.repeat(1_024)), 5);
      response.on('close', () => clearInterval(pump));
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    try {
      const endlessUrl = `http://127.0.0.1:${(endless.address() as AddressInfo).port}/check`;
      const patient = new WebhookChecker({ timeoutMs: 600_000 });
      expect(await patient.check(group({ type: 'webhook', url: endlessUrl, secret: SECRET }), check)).toBe('UNKNOWN');
    } finally {
      endless.closeAllConnections();
      await new Promise((resolve) => endless.close(resolve));
    }
  });
});

describe('Lambda checker', () => {
  const invoker = inProcessInvoker({
    decides: {
      handler: async (event) => ({
        decision: (event as { keys: string[] }).keys[0] === 'tx-1' ? 'COMMIT' : 'ROLLBACK',
      }),
    },
    fails: {
      handler: async () => {
        throw new Error('database down');
      },
    },
    stalls: { handler: () => new Promise((resolve) => setTimeout(() => resolve({ decision: 'COMMIT' }), 1_000)) },
  });
  const checker = new LambdaTransactionChecker(invoker, { timeoutMs: 300 });

  it('invokes the function with the check and reads its decision; errors, timeouts and missing functions are UNKNOWN', async () => {
    expect(await checker.check(group({ type: 'lambda', functionArn: 'decides' }), check)).toBe('COMMIT');
    expect(await checker.check(group({ type: 'lambda', functionArn: 'decides' }), { ...check, keys: ['x'] })).toBe(
      'ROLLBACK',
    );
    expect(await checker.check(group({ type: 'lambda', functionArn: 'fails' }), check)).toBe('UNKNOWN');
    expect(await checker.check(group({ type: 'lambda', functionArn: 'stalls' }), check)).toBe('UNKNOWN');
    expect(await checker.check(group({ type: 'lambda', functionArn: 'missing' }), check)).toBe('UNKNOWN');
  });
});
