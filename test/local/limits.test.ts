import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { type EmbeddedServer, startEmbeddedServer } from '../../src/local/embedded-server.ts';
import type { ServerLimits } from '../../src/local/limits.ts';
import { Client } from '../../src/sdk/index.ts';
import { closedBy, jsonHead, openSocket, readResponse } from './raw-socket.ts';

let store: BrokerStore | undefined;
let server: EmbeddedServer | undefined;
const sockets: Socket[] = [];
/** Request ids of the 503s the server logged. */
let loggedBusy: string[] = [];

async function start(limits: Partial<ServerLimits>): Promise<EmbeddedServer> {
  store = openSqliteStore({ path: ':memory:' });
  loggedBusy = [];
  const logger = {
    info: () => {},
    error: (message: string, details?: Record<string, unknown>) => {
      if (message.startsWith('503')) loggedBusy.push(String(details?.requestId ?? 'connection'));
    },
  };
  server = await startEmbeddedServer({ store, limits, logger });
  return server;
}

async function socketTo(url: string, localAddress?: string): Promise<Socket> {
  const socket = await openSocket(url, localAddress);
  sockets.push(socket);
  return socket;
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  await store?.close();
  server = undefined;
});

const health = 'GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n';
const longPoll = (waitMs: number) => {
  const body = JSON.stringify({ waitMs, maxMessages: 1 });
  return `${jsonHead('POST', '/v1/groups/g/receive', Buffer.byteLength(body))}${body}`;
};

describe('abuse limits, over real sockets', () => {
  it('answers connections past the cap with 503 and retry-after, and takes new ones once others close', async () => {
    const { url } = await start({ maxConnections: 3 });
    const held = [await socketTo(url), await socketTo(url), await socketTo(url)];
    const extra = await socketTo(url);
    extra.write(health);
    const refused = await readResponse(extra);
    expect(refused.status).toBe(503);
    expect(refused.head).toMatch(/\r\nretry-after: 1/i);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'SERVER_BUSY' });
    expect(loggedBusy).toEqual(['connection']);
    await closedBy(extra);
    // The held connections still work.
    held[0]!.write(health);
    expect((await readResponse(held[0]!)).status).toBe(200);
    held[1]!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const next = await socketTo(url);
    next.write(health);
    expect((await readResponse(next)).status).toBe(200);
  });

  it('caps waiting receives per client (429) and in total (503), never a receive without wait', async () => {
    const { url } = await start({ maxLongPollsPerClient: 2, maxLongPolls: 3 });
    const client = new Client({ endpoint: url });
    await client.createTopic('t', { queueCount: 1 });
    await client.createGroup('g', { subscriptions: [{ topic: 't' }] });
    const waiting: Socket[] = [];
    for (const address of ['127.0.0.1', '127.0.0.1', '127.0.0.2']) {
      const socket = await socketTo(url, address);
      socket.write(longPoll(20_000));
      waiting.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const third = await socketTo(url, '127.0.0.1');
    third.write(longPoll(1_000));
    const perClient = await readResponse(third);
    expect(perClient.status).toBe(429);
    expect(perClient.head).toMatch(/\r\nretry-after: 1/i);
    expect(JSON.parse(perClient.body)).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    const fourth = await socketTo(url, '127.0.0.3');
    fourth.write(longPoll(1_000));
    const total = await readResponse(fourth);
    expect(total.status).toBe(503);
    expect(JSON.parse(total.body)).toMatchObject({ code: 'SERVER_BUSY' });
    expect(loggedBusy).toEqual([JSON.parse(total.body).requestId]);
    // Polling without a wait is always served.
    fourth.write(longPoll(0));
    expect((await readResponse(fourth)).status).toBe(200);
    // A client that goes away frees its slot.
    waiting[0]!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    third.write(longPoll(50));
    expect((await readResponse(third)).status).toBe(200);
  });

  it('refuses bodies past the shared budget of unfinished bodies with 503, and frees it when they end', async () => {
    const { url } = await start({ maxPendingBodyBytes: 1024 * 1024 });
    const size = 700 * 1024;
    const first = await socketTo(url);
    first.write(jsonHead('POST', '/v1/topics/t/messages', size));
    first.write(Buffer.alloc(600 * 1024, 0x20));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await socketTo(url);
    second.write(jsonHead('POST', '/v1/topics/t/messages', size));
    second.write(Buffer.alloc(600 * 1024, 0x20));
    const refused = await readResponse(second);
    expect(refused.status).toBe(503);
    expect(refused.head).toMatch(/\r\nretry-after: 1/i);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'SERVER_BUSY' });
    expect(loggedBusy).toEqual([JSON.parse(refused.body).requestId]);
    await closedBy(second);
    // The first body ends by its client leaving: its bytes are freed and a new upload fits.
    first.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const third = await socketTo(url);
    third.write(jsonHead('POST', '/v1/topics/t/messages', size));
    third.write(Buffer.alloc(size, 0x20));
    // All spaces: not a valid send, but read whole and answered by the API, not by the budget.
    const answered = await readResponse(third);
    expect(JSON.parse(answered.body).code).not.toBe('SERVER_BUSY');
  });

  it('answers 408 and closes a connection whose body does not arrive in time', async () => {
    const { url } = await start({ bodyTimeoutMs: 500 });
    const slow = await socketTo(url);
    slow.write(jsonHead('POST', '/v1/topics/t/messages', 1000));
    slow.write('{"body":');
    const response = await readResponse(slow, 5_000);
    expect(response.status).toBe(408);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'REQUEST_TIMEOUT' });
    await closedBy(slow, 5_000);
    // Headers that never end are cut too (node's headers timeout).
    const slowHeaders = await socketTo(url);
    slowHeaders.write('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n');
    await closedBy(slowHeaders, 5_000);
  });
});
