import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { type AuthFile, tokenSha256 } from '../../src/local/access-policy.ts';
import { type EmbeddedServer, startEmbeddedServer } from '../../src/local/embedded-server.ts';
import type { ServerLimits } from '../../src/local/limits.ts';
import { jsonHead, openSocket, readResponse } from '../local/raw-socket.ts';

let store: BrokerStore | undefined;
let server: EmbeddedServer | undefined;
let dir: string | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  await store?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

type Permissions = AuthFile['principals'][number]['permissions'];
const principal = (name: string, permissions: Permissions) => ({
  name,
  tokenSha256: tokenSha256(`${name}-token`),
  permissions,
});
const ADMIN = principal('admin', [{ resource: '*', actions: ['ADMIN', 'PUB', 'SUB'] }]);

async function start(
  principals: AuthFile['principals'] | undefined,
  options: { limits?: Partial<ServerLimits> } = {},
): Promise<string> {
  let authFile: string | undefined;
  if (principals !== undefined) {
    dir = await mkdtemp(join(tmpdir(), 'nimbus-txn-auth-'));
    authFile = join(dir, 'auth.json');
    await writeFile(authFile, JSON.stringify({ principals }));
  }
  store = openSqliteStore({ path: ':memory:' });
  server = await startEmbeddedServer({ store, authFile, ...options, checkTimeoutMs: 500 });
  return server.url;
}

async function call(url: string, method: string, path: string, who: string | undefined, body?: unknown) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (who !== undefined) headers['authorization'] = `Bearer ${who}-token`;
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

describe('permissions of transactional routes', () => {
  it('needs PUB on the producer group a send names, for one message and for a batch', async () => {
    const url = await start([
      ADMIN,
      principal('mallory', [{ resource: 'topic:orders', actions: ['PUB'] }]),
      principal('payer', [
        { resource: 'topic:orders', actions: ['PUB'] },
        { resource: 'producer-group:payments', actions: ['PUB'] },
      ]),
    ]);
    expect(
      (await call(url, 'PUT', '/v1/topics/orders', 'admin', { messageType: 'TRANSACTION', queueCount: 1 })).status,
    ).toBe(200);
    expect(
      (await call(url, 'PUT', '/v1/producer-groups/payments', 'admin', { checker: { type: 'poll' } })).status,
    ).toBe(200);
    const single = { body: 'x', producerGroup: 'payments' };
    const refused = await call(url, 'POST', '/v1/topics/orders/messages', 'mallory', single);
    expect(refused).toMatchObject({ status: 403, body: { code: 'PERMISSION_DENIED' } });
    expect(refused.body.message).toContain('PUB on producer-group:payments');
    const batch = { messages: [{ body: 'a', producerGroup: 'payments' }] };
    expect((await call(url, 'POST', '/v1/topics/orders/messages', 'mallory', batch)).status).toBe(403);
    const sent = await call(url, 'POST', '/v1/topics/orders/messages', 'payer', single);
    expect(sent.status).toBe(200);
    // Deciding it is the producer group's business too: PUB on the topic alone is not enough.
    const id = encodeURIComponent(sent.body.transactionId);
    const commit = await call(url, 'POST', `/v1/transactions/${id}/commit`, 'mallory');
    expect(commit).toMatchObject({ status: 403, body: { code: 'PERMISSION_DENIED' } });
    expect(commit.body.message).toContain('PUB on producer-group:payments');
    expect((await call(url, 'POST', `/v1/transactions/${id}/rollback`, 'mallory')).status).toBe(403);
    // Nor by editing the id into the first format, which names no producer group.
    const [, topic, msgId] = String(sent.body.transactionId).split('~');
    const legacy = encodeURIComponent(`t1~${topic}~${msgId}`);
    const edited = await call(url, 'POST', `/v1/transactions/${legacy}/rollback`, 'mallory');
    expect(edited).toMatchObject({ status: 403, body: { code: 'PERMISSION_DENIED' } });
    expect(edited.body.message).toContain('PUB on producer-group:*');
    expect((await call(url, 'POST', `/v1/transactions/${id}/commit`, 'payer')).status).toBe(200);
  });

  it('lets only an admin of everything point a producer group at a Lambda function or a webhook', async () => {
    const url = await start([
      ADMIN,
      principal('team', [
        { resource: 'producer-group:team-pg', actions: ['ADMIN', 'PUB'] },
        { resource: 'topic:team-tx', actions: ['PUB'] },
      ]),
    ]);
    await call(url, 'PUT', '/v1/topics/team-tx', 'admin', { messageType: 'TRANSACTION', queueCount: 1 });
    const lambda = { type: 'lambda', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:prod-billing-admin' };
    const asTeam = await call(url, 'PUT', '/v1/producer-groups/team-pg', 'team', {
      checker: lambda,
      firstCheckAfterMs: 1000,
    });
    expect(asTeam).toMatchObject({ status: 403, body: { code: 'PERMISSION_DENIED' } });
    expect(asTeam.body.message).toContain('ADMIN on *');
    const webhook = { type: 'webhook', url: 'http://127.0.0.1:9/internal', secret: 'a-secret-of-enough-length' };
    expect((await call(url, 'PUT', '/v1/producer-groups/team-pg', 'team', { checker: webhook })).status).toBe(403);
    // A poll checker invokes nothing: ADMIN on the producer group is enough.
    expect((await call(url, 'PUT', '/v1/producer-groups/team-pg', 'team', { checker: { type: 'poll' } })).status).toBe(
      200,
    );
    expect((await call(url, 'PUT', '/v1/producer-groups/team-pg', 'admin', { checker: lambda })).status).toBe(200);
  });
});

describe('poll-mode checks carry half-message bodies', () => {
  it('hand a poller only checks of topics it may publish to: PUB on each topic it names, or on topic:*', async () => {
    const url = await start([
      ADMIN,
      principal('payer', [
        { resource: 'topic:orders', actions: ['PUB'] },
        { resource: 'producer-group:payments', actions: ['PUB'] },
      ]),
      // PUB on the producer group only: it must not read what others publish through it.
      principal('snoop', [{ resource: 'producer-group:payments', actions: ['PUB'] }]),
    ]);
    for (const topic of ['orders', 'payroll']) {
      await call(url, 'PUT', `/v1/topics/${topic}`, 'admin', { messageType: 'TRANSACTION', queueCount: 1 });
    }
    await call(url, 'PUT', '/v1/producer-groups/payments', 'admin', {
      checker: { type: 'poll' },
      firstCheckAfterMs: 1000,
    });
    await call(url, 'POST', '/v1/topics/payroll/messages', 'admin', { body: 'salary', producerGroup: 'payments' });
    const order = await call(url, 'POST', '/v1/topics/orders/messages', 'payer', {
      body: 'o',
      producerGroup: 'payments',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const receive = (who: string, body: unknown) =>
      call(url, 'POST', '/v1/producer-groups/payments/checks/receive', who, body);

    const snooping = await receive('snoop', { maxMessages: 10 });
    expect(snooping).toMatchObject({ status: 403, body: { code: 'PERMISSION_DENIED' } });
    expect(snooping.body.message).toContain('PUB on topic:*');
    expect((await receive('snoop', { topics: ['payroll'] })).status).toBe(403);
    expect((await receive('payer', { maxMessages: 10 })).status).toBe(403);
    const mine = await receive('payer', { maxMessages: 10, topics: ['orders'] });
    expect(mine.status).toBe(200);
    expect(mine.body.checks.map((check: { msgId: string }) => check.msgId)).toEqual([order.body.msgId]);
    // The payroll check is still there for a poller allowed to see it.
    const all = await receive('admin', { maxMessages: 10 });
    expect(all.body.checks.map((check: { topic: string }) => check.topic)).toEqual(['payroll']);
  });
});

describe('check-back long-polls', () => {
  it('count against the long-poll caps, as receives do', async () => {
    const url = await start(undefined, { limits: { maxLongPollsPerClient: 1, maxLongPolls: 1 } });
    await call(url, 'PUT', '/v1/producer-groups/pg', undefined, { checker: { type: 'poll' } });
    const poll = JSON.stringify({ waitMs: 3000 });
    const request = `${jsonHead('POST', '/v1/producer-groups/pg/checks/receive', Buffer.byteLength(poll))}${poll}`;
    const first = await openSocket(url);
    const second = await openSocket(url);
    sockets.push(first, second);
    first.write(request);
    await new Promise((resolve) => setTimeout(resolve, 200));
    second.write(request);
    const answer = await readResponse(second, 2_000);
    expect(answer.status).toBe(429);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
  });
});
