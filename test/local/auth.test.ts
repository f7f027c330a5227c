import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { ALL_ROUTE_SPECS } from '../../src/api/routes.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { type AuthFile, tokenSha256 } from '../../src/local/access-policy.ts';
import { type EmbeddedServer, startEmbeddedServer } from '../../src/local/embedded-server.ts';
import { ROUTE_PERMISSIONS, requirementsOf } from '../../src/local/route-permissions.ts';
import { Client, PermissionDeniedError, Producer, SimpleConsumer, UnauthenticatedError } from '../../src/sdk/index.ts';
import { expectApiError } from '../http/helpers.ts';

const TOKENS = { admin: 'admin-token-1', app: 'app-token-1', reader: 'reader-token-1', other: 'other-token-1' };

/** An admin of everything, an app that sends to orders* and consumes group billing, a reader of billing only. */
const AUTH: AuthFile = {
  principals: [
    { name: 'admin', tokenSha256: tokenSha256(TOKENS.admin), permissions: [{ resource: '*', actions: ['ADMIN'] }] },
    {
      name: 'app',
      tokenSha256: tokenSha256(TOKENS.app),
      permissions: [
        { resource: 'topic:orders*', actions: ['PUB', 'SUB'] },
        { resource: 'group:billing', actions: ['SUB', 'ADMIN'] },
      ],
    },
    {
      name: 'reader',
      tokenSha256: tokenSha256(TOKENS.reader).toUpperCase(),
      permissions: [{ resource: 'group:billing', actions: ['SUB'] }],
    },
  ],
};

let dir: string;
let authFile: string;
let store: BrokerStore;
let server: EmbeddedServer;
const as = (token?: string) => new Client({ endpoint: server.url, token });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nimbus-auth-'));
  authFile = join(dir, 'auth.json');
  await writeFile(authFile, JSON.stringify(AUTH));
  store = openSqliteStore({ path: ':memory:' });
  server = await startEmbeddedServer({ store, authFile });
});

afterAll(async () => {
  await server?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('access tokens and permissions', () => {
  it('answers 401 without a token or with an unknown one, but keeps /healthz open', async () => {
    const missing = await expectApiError(as().listTopics(), { code: 'UNAUTHENTICATED', status: 401 });
    expect(missing).toBeInstanceOf(UnauthenticatedError);
    await expectApiError(as('nope').listTopics(), { code: 'UNAUTHENTICATED', status: 401 });
    const raw = await fetch(`${server.url}/v1/topics`, { headers: { authorization: 'Basic YWRtaW46eA==' } });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toContain('Bearer');
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    // The hash in the file is not a token: presenting it gets nowhere.
    await expectApiError(as(tokenSha256(TOKENS.admin)).listTopics(), { code: 'UNAUTHENTICATED', status: 401 });
  });

  it('lets each principal do what its permissions name, and answers 403 naming action and resource otherwise', async () => {
    const admin = as(TOKENS.admin);
    await admin.createTopic('orders-eu', { queueCount: 1 });
    await admin.createTopic('payroll', { queueCount: 1 });

    const app = as(TOKENS.app);
    // ADMIN on the group and SUB on the topic it subscribes to: allowed.
    await app.createGroup('billing', { subscriptions: [{ topic: 'orders-eu' }] });
    // Subscribing the group to a topic the principal may not read would let SUB on the group read it.
    const sneaky = await expectApiError(app.createGroup('billing', { subscriptions: [{ topic: 'payroll' }] }), {
      code: 'PERMISSION_DENIED',
      status: 403,
    });
    expect(sneaky).toBeInstanceOf(PermissionDeniedError);
    expect(sneaky.message).toContain('SUB on topic:payroll');

    const sent = await new Producer(app).send('orders-eu', 'paid');
    const denied = await expectApiError(new Producer(app).send('payroll', 'raise'), {
      code: 'PERMISSION_DENIED',
      status: 403,
    });
    expect(denied.message).toBe('Principal "app" lacks PUB on topic:payroll.');
    await expectApiError(app.deleteTopic('orders-eu'), { code: 'PERMISSION_DENIED', status: 403 });
    // Lists answer every name, so they need ADMIN on all topics or groups.
    const list = await expectApiError(app.listTopics(), { code: 'PERMISSION_DENIED', status: 403 });
    expect(list.message).toContain('ADMIN on topic:*');

    const reader = new SimpleConsumer(as(TOKENS.reader), { group: 'billing' });
    const [message] = await reader.receive({ waitMs: 2_000 });
    expect(message?.msgId).toBe(sent.msgId);
    expect((await reader.ack(message!))[0]?.ok).toBe(true);
    await expectApiError(as(TOKENS.reader).getGroup('billing'), { code: 'PERMISSION_DENIED', status: 403 });
    await expectApiError(new Producer(as(TOKENS.reader)).send('orders-eu', 'x'), {
      code: 'PERMISSION_DENIED',
      status: 403,
    });

    expect((await admin.listTopics()).map((topic) => topic.name).sort()).toEqual(['orders-eu', 'payroll']);
    expect(await admin.getTopic('payroll')).toMatchObject({ name: 'payroll' });
  });

  it('stores nothing for a refused send', async () => {
    const before = await store.queueOffsets('payroll', 1);
    await expectApiError(new Producer(as(TOKENS.app)).send('payroll', 'x'), { code: 'PERMISSION_DENIED', status: 403 });
    await expectApiError(new Producer(as()).send('payroll', 'x'), { code: 'UNAUTHENTICATED', status: 401 });
    expect(await store.queueOffsets('payroll', 1)).toEqual(before);
  });

  it('reloads the auth file: a new principal works at once, open connections stay', async () => {
    const agentClient = as(TOKENS.other);
    await expectApiError(agentClient.listGroups(), { code: 'UNAUTHENTICATED', status: 401 });
    // A long-poll that is waiting while the file is reloaded still completes.
    const waiting = new SimpleConsumer(as(TOKENS.reader), { group: 'billing' }).receive({ waitMs: 1_500 });
    const withOther: AuthFile = {
      principals: [
        ...AUTH.principals,
        {
          name: 'other',
          tokenSha256: tokenSha256(TOKENS.other),
          permissions: [{ resource: 'group:*', actions: ['ADMIN'] }],
        },
      ],
    };
    await writeFile(authFile, JSON.stringify(withOther));
    await server.reloadAuth();
    expect((await agentClient.listGroups()).map((group) => group.name)).toEqual(['billing']);
    await expect(waiting).resolves.toEqual([]);

    // A broken file is refused and the principals in force stay.
    await writeFile(authFile, JSON.stringify({ principals: [{ name: 'x', tokenSha256: 'short', permissions: [] }] }));
    await expect(server.reloadAuth()).rejects.toThrow(/tokenSha256/);
    expect(await agentClient.listGroups()).toHaveLength(1);
    await writeFile(authFile, JSON.stringify(AUTH));
  });
});

describe('the permission table', () => {
  it('names every route of the API, so none falls to the conservative default by accident', () => {
    const missing = ALL_ROUTE_SPECS.map((spec) => spec.operationId).filter((id) => !(id in ROUTE_PERMISSIONS));
    expect(missing).toEqual([]);
    const known = new Set(ALL_ROUTE_SPECS.map((spec) => spec.operationId));
    expect(Object.keys(ROUTE_PERMISSIONS).filter((id) => !known.has(id))).toEqual([]);
  });

  it('maps routes to actions and resources, and unknown routes to ADMIN on *', () => {
    expect(requirementsOf({ operationId: 'getHealth', params: {} }, {})).toBe('open');
    expect(requirementsOf({ operationId: 'sendMessages', params: { topic: 'a' } }, {})).toEqual([
      { action: 'PUB', resource: 'topic:a' },
    ]);
    // Naming a producer group, on a message or in a batch, needs PUB on it too.
    const asPayments = [
      { action: 'PUB', resource: 'topic:a' },
      { action: 'PUB', resource: 'producer-group:payments' },
    ];
    expect(
      requirementsOf({ operationId: 'sendMessages', params: { topic: 'a' } }, { producerGroup: 'payments' }),
    ).toEqual(asPayments);
    const batch = { messages: [{ producerGroup: 'payments' }, { producerGroup: 'payments' }] };
    expect(requirementsOf({ operationId: 'sendMessages', params: { topic: 'a' } }, batch)).toEqual(asPayments);
    // A checker the broker calls out to (a Lambda function, a URL) needs ADMIN on everything.
    const producerGroup = { operationId: 'putProducerGroup', params: { group: 'pg' } };
    expect(requirementsOf(producerGroup, { checker: { type: 'poll' } })).toEqual([
      { action: 'ADMIN', resource: 'producer-group:pg' },
    ]);
    for (const type of ['lambda', 'webhook']) {
      expect(requirementsOf(producerGroup, { checker: { type } })).toEqual([
        { action: 'ADMIN', resource: 'producer-group:pg' },
        { action: 'ADMIN', resource: '*' },
      ]);
    }
    for (const operationId of ['receiveMessages', 'ackMessages', 'nackMessages', 'changeInvisibleDuration']) {
      expect(requirementsOf({ operationId, params: { group: 'g' } }, {})).toEqual([
        { action: 'SUB', resource: 'group:g' },
      ]);
    }
    expect(requirementsOf({ operationId: 'redriveDeadLetters', params: { group: 'g' } }, {})).toEqual([
      { action: 'ADMIN', resource: 'group:g' },
    ]);
    expect(requirementsOf({ operationId: 'somethingNew', params: { topic: 'a' } }, {})).toEqual([
      { action: 'ADMIN', resource: '*' },
    ]);
    expect(requirementsOf({ operationId: 'toString', params: {} }, {})).toEqual([{ action: 'ADMIN', resource: '*' }]);
    // No route: a valid token is enough to learn it is a 404.
    expect(requirementsOf(undefined, {})).toEqual([]);
  });
});

describe('overlapping reloads', () => {
  it('keeps the newest auth file in force when two reloads overlap: a revoked token stays revoked', async () => {
    const reloadDir = await mkdtemp(join(tmpdir(), 'nimbus-reload-'));
    const file = join(reloadDir, 'auth.json');
    const entry = (name: string) => ({
      name,
      tokenSha256: tokenSha256(`${name}-token`),
      permissions: [{ resource: '*', actions: ['ADMIN' as const] }],
    });
    // A large first file takes longer to load than the small one that replaces it.
    const filler = Array.from({ length: 60_000 }, (_, i) => entry(`filler-${i}`));
    await writeFile(file, JSON.stringify({ principals: [entry('ops'), entry('leaked'), ...filler] }));
    const memory = openSqliteStore({ path: ':memory:' });
    const reloading = await startEmbeddedServer({ store: memory, authFile: file });
    try {
      const first = reloading.reloadAuth();
      // The operator revokes "leaked" (an atomic replace) and signals again.
      await writeFile(`${file}.new`, JSON.stringify({ principals: [entry('ops')] }));
      await rename(`${file}.new`, file);
      const second = reloading.reloadAuth();
      await Promise.all([first, second]);
      const leaked = new Client({ endpoint: reloading.url, token: 'leaked-token' });
      await expectApiError(leaked.listTopics(), { code: 'UNAUTHENTICATED', status: 401 });
    } finally {
      await reloading.close();
      await memory.close();
      await rm(reloadDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('starting with authentication', () => {
  it('refuses a non-loopback address without an auth file, and a broken auth file', async () => {
    const memory = openSqliteStore({ path: ':memory:' });
    try {
      await expect(startEmbeddedServer({ store: memory, host: '0.0.0.0' })).rejects.toThrow(/--auth-file/);
      const broken = join(dir, 'broken.json');
      await writeFile(
        broken,
        '{ "principals": [ { "name": "a", "tokenSha256": "00", "permissions": [], "extra": 1 } ] }',
      );
      await expect(startEmbeddedServer({ store: memory, authFile: broken })).rejects.toThrow(/auth file .* is invalid/);
      const duplicate = join(dir, 'duplicate.json');
      const hash = tokenSha256('same');
      await writeFile(
        duplicate,
        JSON.stringify({
          principals: [
            { name: 'a', tokenSha256: hash, permissions: [] },
            { name: 'b', tokenSha256: hash, permissions: [] },
          ],
        }),
      );
      await expect(startEmbeddedServer({ store: memory, authFile: duplicate })).rejects.toThrow(/share one token/);
      const badResource = join(dir, 'resource.json');
      await writeFile(
        badResource,
        JSON.stringify({
          principals: [{ name: 'a', tokenSha256: hash, permissions: [{ resource: 'queue:x', actions: ['PUB'] }] }],
        }),
      );
      await expect(startEmbeddedServer({ store: memory, authFile: badResource })).rejects.toThrow(/resource/);
    } finally {
      await memory.close();
    }
  });
});
