import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { tokenSha256 } from '../../src/local/access-policy.ts';
import {
  type EmbeddedServer,
  type EmbeddedServerOptions,
  startEmbeddedServer,
} from '../../src/local/embedded-server.ts';
import { MAX_BODY_PIECES } from '../../src/local/node-http-adapter.ts';
import { Client } from '../../src/sdk/index.ts';
import { closedBy, jsonHead, openSocket, readResponse } from './raw-socket.ts';

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

async function start(options: EmbeddedServerOptions & { withAuth?: boolean } = {}): Promise<EmbeddedServer> {
  let authFile: string | undefined;
  if (options.withAuth === true) {
    dir = await mkdtemp(join(tmpdir(), 'nimbus-body-'));
    authFile = join(dir, 'auth.json');
    const ops = {
      name: 'ops',
      tokenSha256: tokenSha256('ops-token'),
      permissions: [{ resource: '*', actions: ['ADMIN', 'PUB'] }],
    };
    await writeFile(authFile, JSON.stringify({ principals: [ops] }));
  }
  store = openSqliteStore({ path: ':memory:' });
  server = await startEmbeddedServer({ store, authFile, ...options });
  return server;
}

async function socketTo(url: string, localAddress?: string): Promise<Socket> {
  const socket = await openSocket(url, localAddress);
  sockets.push(socket);
  return socket;
}

/** The head of a chunked POST that sends its body in pieces of the caller's choosing. */
const chunkedHead = (path: string, headers = '') =>
  `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n${headers}\r\n`;
const oneByteChunks = (text: string) =>
  [...Buffer.from(text)].map((byte) => `1\r\n${String.fromCharCode(byte)}\r\n`).join('');

describe('request bodies, read only for requests that may be served', () => {
  it('answers 401 without a token before reading any of the body, and closes the connection', async () => {
    // A long body timeout: the answer must not wait for the body, which never ends.
    const { url } = await start({ withAuth: true, limits: { bodyTimeoutMs: 30_000 } });
    const anonymous = await socketTo(url);
    anonymous.write(chunkedHead('/v1/topics/t/messages'));
    anonymous.write(oneByteChunks('{"body":"never ends'));
    const refused = await readResponse(anonymous, 3_000);
    expect(refused.status).toBe(401);
    expect(refused.head).toMatch(/\r\nconnection: close/i);
    await closedBy(anonymous, 3_000);
  });

  it('answers 421 for a foreign Host and 403 for a foreign origin before reading the body', async () => {
    const { url } = await start({ limits: { bodyTimeoutMs: 30_000 } });
    const rebound = await socketTo(url);
    rebound.write(jsonHead('POST', '/v1/topics/t/messages', 1_000).replace('host: 127.0.0.1', 'host: evil.example'));
    expect((await readResponse(rebound, 3_000)).status).toBe(421);
    await closedBy(rebound, 3_000);
    const page = await socketTo(url);
    page.write(chunkedHead('/v1/topics/t/messages', 'origin: https://evil.example\r\n'));
    const refused = await readResponse(page, 3_000);
    expect(refused.status).toBe(403);
    await closedBy(page, 3_000);
  });

  it('keeps a connection whose refused request announced no body', async () => {
    const { url } = await start({ withAuth: true });
    const client = await socketTo(url);
    client.write('GET /v1/topics HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    const refused = await readResponse(client);
    expect(refused.status).toBe(401);
    expect(refused.head).not.toMatch(/\r\nconnection: close/i);
    client.write('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    expect((await readResponse(client)).status).toBe(200);
  });

  it('assembles a body sent as one-byte chunks, and refuses one in more pieces than the cap with 413', async () => {
    const { url } = await start({ withAuth: true });
    await new Client({ endpoint: url, token: 'ops-token' }).createTopic('t', { queueCount: 1 });
    const auth = 'authorization: Bearer ops-token\r\n';
    const honest = await socketTo(url);
    honest.write(`${chunkedHead('/v1/topics/t/messages', auth)}${oneByteChunks('{"body":"hello"}')}0\r\n\r\n`);
    const sent = await readResponse(honest);
    expect(sent.status).toBe(200);
    expect(JSON.parse(sent.body)).toMatchObject({ topic: 't', msgId: expect.any(String) });

    const flood = await socketTo(url);
    flood.write(`${chunkedHead('/v1/topics/t/messages', auth)}${oneByteChunks(' '.repeat(MAX_BODY_PIECES + 1))}`);
    const refused = await readResponse(flood);
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'REQUEST_TOO_LARGE' });
    await closedBy(flood);
  });

  it('gives each client address a share of the body budget (429), leaving room for others', async () => {
    const { url } = await start({
      limits: { maxPendingBodyBytes: 4 * 1024 * 1024, maxPendingBodyBytesPerClient: 1024 * 1024 },
    });
    const size = 3 * 1024 * 1024;
    const greedy = await socketTo(url, '127.0.0.1');
    greedy.write(jsonHead('POST', '/v1/topics/t/messages', size));
    greedy.write(Buffer.alloc(2 * 1024 * 1024, 0x20));
    const refused = await readResponse(greedy);
    expect(refused.status).toBe(429);
    expect(refused.head).toMatch(/\r\nretry-after: 1/i);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    await closedBy(greedy);

    const other = await socketTo(url, '127.0.0.2');
    other.write(jsonHead('POST', '/v1/topics/t/messages', 600 * 1024));
    other.write(Buffer.alloc(600 * 1024, 0x20));
    // All spaces: not a valid send, but read whole and answered by the API, not by a budget.
    const answered = await readResponse(other);
    expect(answered.status).toBe(400);
  });
});
