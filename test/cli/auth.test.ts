import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { main } from '../../src/cli/main.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { type PrincipalEntry, tokenSha256 } from '../../src/local/access-policy.ts';
import { type EmbeddedServer, startEmbeddedServer } from '../../src/local/embedded-server.ts';
import { jsonHead, openSocket, readResponse } from '../local/raw-socket.ts';
import { freePort, spawnUntilReady } from '../support/processes.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const nimbusBin = join(root, 'bin', 'nimbus.js');

/** Runs `nimbus` in this process, capturing what it prints. */
async function nimbus(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...parts) => {
    stdout += `${parts.join(' ')}\n`;
  });
  const error = vi.spyOn(console, 'error').mockImplementation((...parts) => {
    stderr += `${parts.join(' ')}\n`;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    for (const spy of [log, error, err, out]) spy.mockRestore();
  }
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nimbus-cli-auth-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function newPrincipal(name: string, ...allow: string[]): Promise<{ token: string; principal: PrincipalEntry }> {
  const flags = allow.flatMap((permission) => ['--allow', permission]);
  const result = await nimbus('auth', 'token', '--name', name, ...flags, '--json');
  expect(result, result.stderr).toMatchObject({ code: 0 });
  return JSON.parse(result.stdout);
}

describe('nimbus auth token', () => {
  it('prints a new token and the principal entry that holds only its SHA-256', async () => {
    const { token, principal } = await newPrincipal('app', 'topic:orders*=PUB,sub', 'group:billing=SUB');
    expect(token).toMatch(/^nmq_[A-Za-z0-9_-]{43}$/);
    expect(principal).toEqual({
      name: 'app',
      tokenSha256: tokenSha256(token),
      permissions: [
        { resource: 'topic:orders*', actions: ['PUB', 'SUB'] },
        { resource: 'group:billing', actions: ['SUB'] },
      ],
    });
    expect((await newPrincipal('app')).token).not.toBe(token);
    const text = await nimbus('auth', 'token', '--name', 'ops', '--allow', '*=ADMIN');
    expect(text.stdout).toContain('"tokenSha256"');
    expect(text.stdout).not.toContain('"token"');
  });

  it('refuses a missing name, an unknown action and a malformed resource with exit code 2', async () => {
    expect((await nimbus('auth', 'token')).code).toBe(2);
    expect((await nimbus('auth', 'token', '--name', 'a', '--allow', 'topic:x=READ')).code).toBe(2);
    expect((await nimbus('auth', 'token', '--name', 'a', '--allow', 'queue:x=PUB')).code).toBe(2);
    expect((await nimbus('auth', 'frobnicate')).code).toBe(2);
  });
});

describe('--token and NIMBUS_TOKEN against a broker with --auth-file', () => {
  let store: BrokerStore;
  let server: EmbeddedServer;
  let admin: string;

  beforeAll(async () => {
    const created = await newPrincipal('admin', '*=ADMIN,PUB,SUB');
    admin = created.token;
    const authFile = join(dir, 'cli-auth.json');
    await writeFile(authFile, JSON.stringify({ principals: [created.principal] }));
    store = openSqliteStore({ path: ':memory:' });
    server = await startEmbeddedServer({ store, authFile });
  });

  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  afterEach(() => {
    delete process.env.NIMBUS_TOKEN;
  });

  it('sends the token as a bearer token; without one the broker answers UNAUTHENTICATED', async () => {
    const refused = await nimbus('topic', 'create', 'cli-secure', '--endpoint', server.url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('UNAUTHENTICATED');
    const created = await nimbus('topic', 'create', 'cli-secure', '--token', admin, '--endpoint', server.url);
    expect(created, created.stderr).toMatchObject({ code: 0 });
    process.env.NIMBUS_TOKEN = admin;
    const listed = await nimbus('topic', 'list', '--endpoint', server.url, '--json');
    expect(JSON.parse(listed.stdout).map((topic: { name: string }) => topic.name)).toEqual(['cli-secure']);
    // The flag wins over the environment.
    const wrong = await nimbus('topic', 'list', `--token=wrong`, '--endpoint', server.url);
    expect(wrong.stderr).toContain('UNAUTHENTICATED');
  });
});

describe('nimbus start security flags (spawned)', () => {
  it('refuses to listen on a non-loopback address without --auth-file: exit code 2 naming --auth-file', async () => {
    const failure = await run(process.execPath, [nimbusBin, 'start', '--host', '0.0.0.0', '--port', '0'], {
      cwd: root,
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('--auth-file');
  });

  describe('SIGHUP', () => {
    let child: ChildProcess;
    let output = '';

    afterAll(async () => {
      if (child?.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    });

    it('reloads the auth file without dropping connections', async () => {
      const first = await newPrincipal('first', '*=ADMIN,PUB,SUB');
      const second = await newPrincipal('second', 'topic:*=ADMIN');
      const authFile = join(dir, 'reload.json');
      await writeFile(authFile, JSON.stringify({ principals: [first.principal] }));
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      child = await spawnUntilReady(
        process.execPath,
        [nimbusBin, 'start', '--port', String(port), '--data-dir', join(dir, 'data'), '--auth-file', authFile],
        'listening on',
        { cwd: root },
      );
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
      await fetch(`${url}/v1/topics/reload`, { method: 'PUT', headers: bearer(first.token) });
      await fetch(`${url}/v1/groups/reload-g`, {
        method: 'PUT',
        headers: { ...bearer(first.token), 'content-type': 'application/json' },
        body: JSON.stringify({ subscriptions: [{ topic: 'reload' }] }),
      });
      expect((await fetch(`${url}/v1/topics`, { headers: bearer(second.token) })).status).toBe(401);

      // A keep-alive connection in use and a waiting receive, both open across the reload.
      const socket = await openSocket(url);
      const get = `GET /v1/topics HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${first.token}\r\n\r\n`;
      socket.write(get);
      expect((await readResponse(socket)).status).toBe(200);
      const waiting = fetch(`${url}/v1/groups/reload-g/receive`, {
        method: 'POST',
        headers: { ...bearer(first.token), 'content-type': 'application/json' },
        body: JSON.stringify({ waitMs: 3_000 }),
      });

      await writeFile(authFile, JSON.stringify({ principals: [first.principal, second.principal] }));
      child.kill('SIGHUP');
      await vi.waitFor(() => expect(output).toContain('2 principals'), { timeout: 10_000 });

      expect((await fetch(`${url}/v1/topics`, { headers: bearer(second.token) })).status).toBe(200);
      socket.write(get);
      expect((await readResponse(socket)).status).toBe(200);
      const send = JSON.stringify({ body: 'after reload' });
      socket.write(
        `${jsonHead('POST', '/v1/topics/reload/messages', send.length).replace('\r\n\r\n', `\r\nauthorization: Bearer ${first.token}\r\n\r\n`)}${send}`,
      );
      expect((await readResponse(socket)).status).toBe(200);
      const received = await waiting;
      expect(received.status).toBe(200);
      expect(((await received.json()) as { messages: { body: string }[] }).messages.map((m) => m.body)).toEqual([
        'after reload',
      ]);
      socket.destroy();
      expect(child.exitCode).toBeNull();
    });
  });
});
