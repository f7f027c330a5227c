import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { tokenSha256 } from '../../src/local/access-policy.ts';
import { startEmbeddedServer } from '../../src/local/embedded-server.ts';
import type { EmbeddedLogger } from '../../src/local/logger.ts';
import { errorFromResponse, MisdirectedRequestError, TooManyRequestsError } from '../../src/sdk/index.ts';

const run = promisify(execFile);
let dir: string;
let store: BrokerStore;
let authFile: string;
let cert: Buffer;
let key: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nimbus-tls-'));
  // A self-signed certificate for 127.0.0.1, made by the system's openssl.
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ]);
  cert = await readFile(join(dir, 'cert.pem'));
  key = await readFile(join(dir, 'key.pem'));
  authFile = join(dir, 'auth.json');
  await writeFile(
    authFile,
    JSON.stringify({
      principals: [
        { name: 'ops', tokenSha256: tokenSha256('ops-token'), permissions: [{ resource: '*', actions: ['ADMIN'] }] },
      ],
    }),
  );
  store = openSqliteStore({ path: ':memory:' });
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

function httpsGet(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, ca: cert }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

function capturingLogger(): EmbeddedLogger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, info: () => {}, error: (message) => errors.push(message) };
}

describe('TLS and non-loopback addresses', () => {
  it('serves HTTPS with the given certificate, tokens and all', async () => {
    const server = await startEmbeddedServer({ store, authFile, tls: { cert, key } });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(await httpsGet(`${server.url}/v1/topics`, {})).toBe(401);
      expect(await httpsGet(`${server.url}/v1/topics`, { authorization: 'Bearer ops-token' })).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('warns when tokens would cross a non-loopback interface in clear text, or when nothing guards it', async () => {
    const clear = capturingLogger();
    const withTokens = await startEmbeddedServer({ store, authFile, host: '0.0.0.0', logger: clear });
    await withTokens.close();
    expect(clear.errors.join('\n')).toMatch(/clear text.*--tls-cert/);

    const open = capturingLogger();
    const unguarded = await startEmbeddedServer({ store, host: '0.0.0.0', allowUnauthenticated: true, logger: open });
    await unguarded.close();
    expect(open.errors.join('\n')).toContain('without authentication');

    const secure = capturingLogger();
    const guarded = await startEmbeddedServer({ store, authFile, host: '0.0.0.0', tls: { cert, key }, logger: secure });
    await guarded.close();
    expect(secure.errors).toEqual([]);
  });

  it('gives the SDK typed errors for 421 and 429, the latter retryable', () => {
    const misdirected = errorFromResponse(421, '{"code":"MISDIRECTED_REQUEST","message":"m","requestId":"r"}', 'r');
    expect(misdirected).toBeInstanceOf(MisdirectedRequestError);
    const busy = errorFromResponse(429, '{"code":"TOO_MANY_REQUESTS","message":"m","requestId":"r"}', 'r');
    expect(busy).toBeInstanceOf(TooManyRequestsError);
    expect(busy.retryable).toBe(true);
  });
});
