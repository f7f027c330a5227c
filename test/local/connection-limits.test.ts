import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import {
  type EmbeddedServer,
  type EmbeddedServerOptions,
  startEmbeddedServer,
} from '../../src/local/embedded-server.ts';
import { closedBy, openSocket, readResponse } from './raw-socket.ts';

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

async function start(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  store = openSqliteStore({ path: ':memory:' });
  server = await startEmbeddedServer({ store, ...options });
  return server;
}

async function socketTo(url: string, localAddress?: string): Promise<Socket> {
  const socket = await openSocket(url, localAddress);
  sockets.push(socket);
  return socket;
}

const health = 'GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n';

/** A self-signed certificate for 127.0.0.1, made by the system's openssl. */
async function selfSigned(): Promise<{ cert: Buffer; key: Buffer }> {
  dir = await mkdtemp(join(tmpdir(), 'nimbus-conn-'));
  await promisify(execFile)('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
    ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
  ]);
  return { cert: await readFile(join(dir, 'cert.pem')), key: await readFile(join(dir, 'key.pem')) };
}

describe('connection limits', () => {
  it('closes idle keep-alive connections at the cap to serve a new client', async () => {
    const { url } = await start({ limits: { maxConnections: 3 } });
    const parked: Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const socket = await socketTo(url);
      socket.write(health);
      expect((await readResponse(socket)).status).toBe(200);
      parked.push(socket);
    }
    const next = await socketTo(url);
    next.write(health);
    expect((await readResponse(next)).status).toBe(200);
    await closedBy(parked[0] as Socket);
  });

  it('caps connections per client address with 429, leaving room for other clients', async () => {
    // The per-client connection cap is never below the per-client long-poll cap, so lower both.
    const { url } = await start({ limits: { maxConnectionsPerClient: 2, maxLongPollsPerClient: 2 } });
    await socketTo(url, '127.0.0.1');
    await socketTo(url, '127.0.0.1');
    const third = await socketTo(url, '127.0.0.1');
    third.write(health);
    const refused = await readResponse(third);
    expect(refused.status).toBe(429);
    expect(refused.head).toMatch(/\r\nretry-after: 1/i);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    await closedBy(third);
    const other = await socketTo(url, '127.0.0.2');
    other.write(health);
    expect((await readResponse(other)).status).toBe(200);
  });

  it('closes a keep-alive connection left idle past the keep-alive timeout', async () => {
    const { url } = await start({ limits: { keepAliveTimeoutMs: 300 } });
    const idle = await socketTo(url);
    idle.write(health);
    expect((await readResponse(idle)).status).toBe(200);
    await closedBy(idle, 3_000);
  });

  it('frees connections that never start a TLS handshake after the body timeout', async () => {
    const tls = await selfSigned();
    const { url } = await start({ tls, limits: { maxConnections: 3, bodyTimeoutMs: 500 } });
    const silent = [];
    for (let i = 0; i < 3; i++) silent.push(await socketTo(url.replace('https:', 'http:')));
    for (const socket of silent) await closedBy(socket, 5_000);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${url}/healthz`, { ca: tls.cert }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
  });
});
