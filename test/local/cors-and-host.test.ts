import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { type EmbeddedServer, startEmbeddedServer } from '../../src/local/embedded-server.ts';
import { hostName } from '../../src/local/host-check.ts';
import { isLoopback } from '../../src/local/loopback.ts';
import { rawRequest } from './raw-http.ts';

const FOREIGN = 'https://evil.example';

let store: BrokerStore;
let server: EmbeddedServer;

beforeAll(async () => {
  store = openSqliteStore({ path: ':memory:' });
  server = await startEmbeddedServer({ store, allowedHosts: ['broker.internal'] });
  await fetch(`${server.url}/v1/topics/orders`, { method: 'PUT' });
});

afterAll(async () => {
  await server?.close();
  await store?.close();
});

const topicNames = async () => (await store.listTopics()).map((topic) => topic.name);

describe('CORS by default: foreign origins get nothing', () => {
  it('answers a preflight from a foreign origin without any CORS or private-network grant', async () => {
    const preflight = await rawRequest(`${server.url}/v1/topics/orders`, {
      method: 'OPTIONS',
      headers: {
        origin: FOREIGN,
        'access-control-request-method': 'DELETE',
        'access-control-request-private-network': 'true',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
    expect(preflight.headers['access-control-allow-private-network']).toBeUndefined();
  });

  it('refuses with 403 the requests a foreign page can send without a preflight, and does nothing', async () => {
    // An empty POST is a "simple" request: the browser sends it without asking first.
    const receive = await rawRequest(`${server.url}/v1/groups/g/receive`, {
      method: 'POST',
      headers: { origin: FOREIGN },
    });
    expect(receive.status).toBe(403);
    expect(JSON.parse(receive.body)).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(receive.headers['access-control-allow-origin']).toBeUndefined();
    const deleted = await rawRequest(`${server.url}/v1/topics/orders`, {
      method: 'DELETE',
      headers: { origin: 'null' },
    });
    expect(deleted.status).toBe(403);
    // A no-cors request carries no Origin, but its fetch metadata says it comes from another site.
    const read = await rawRequest(`${server.url}/v1/topics`, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(read.status).toBe(403);
    expect(await topicNames()).toEqual(['orders']);
  });

  it('lets the pages the broker serves itself (same origin) and non-browser clients through', async () => {
    const host = new URL(server.url).host;
    const same = await rawRequest(`${server.url}/v1/topics`, {
      headers: { origin: `http://${host}`, 'sec-fetch-site': 'same-origin' },
    });
    expect(same.status).toBe(200);
    expect((await rawRequest(`${server.url}/v1/topics`)).status).toBe(200);
  });
});

describe('CORS when origins are named', () => {
  it('answers preflights for the listed origins and lets them read responses, errors included', async () => {
    const allowed = 'http://console.example:5173';
    const listed = await startEmbeddedServer({ store, cors: [allowed] });
    const any = await startEmbeddedServer({ store, cors: '*' });
    try {
      const preflight = await rawRequest(`${listed.url}/v1/topics/orders`, {
        method: 'OPTIONS',
        headers: {
          origin: allowed,
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'content-type, authorization',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(allowed);
      expect(String(preflight.headers['access-control-allow-methods']).split(', ')).toEqual(
        expect.arrayContaining(['GET', 'PUT', 'POST', 'DELETE']),
      );
      expect(preflight.headers['access-control-allow-headers']).toBe('content-type, authorization');
      expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
      expect(preflight.headers['access-control-allow-private-network']).toBeUndefined();
      expect(preflight.headers['vary']).toContain('origin');

      const missing = await rawRequest(`${listed.url}/v1/topics/nope`, { headers: { origin: allowed } });
      expect(missing.status).toBe(404);
      expect(missing.headers['access-control-allow-origin']).toBe(allowed);
      expect(missing.headers['access-control-expose-headers']).toContain('x-request-id');
      const foreign = await rawRequest(`${listed.url}/v1/topics`, { headers: { origin: FOREIGN } });
      expect(foreign.status).toBe(403);
      expect(foreign.headers['access-control-allow-origin']).toBeUndefined();

      const anyOrigin = await rawRequest(`${any.url}/v1/topics`, { headers: { origin: FOREIGN } });
      expect(anyOrigin.status).toBe(200);
      expect(anyOrigin.headers['access-control-allow-origin']).toBe('*');
      // A plain OPTIONS that is not a preflight is still routed (and refused) as usual.
      expect((await rawRequest(`${any.url}/v1/topics`, { method: 'OPTIONS' })).status).toBe(405);
    } finally {
      await listed.close();
      await any.close();
    }
  });
});

describe('the Host check (DNS rebinding)', () => {
  it('refuses a foreign Host with 421 and changes nothing', async () => {
    const port = new URL(server.url).port;
    const rebound = await rawRequest(`${server.url}/v1/topics/x`, {
      method: 'PUT',
      headers: { host: `attacker.example:${port}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body)).toMatchObject({ code: 'MISDIRECTED_REQUEST' });
    expect(await topicNames()).toEqual(['orders']);
    // Even a health check: a rebinding page must not learn the broker is there.
    expect((await rawRequest(`${server.url}/healthz`, { headers: { host: 'attacker.example' } })).status).toBe(421);
  });

  it('answers for loopback names, the bound address and --allowed-host names', async () => {
    const port = new URL(server.url).port;
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      'LOCALHOST',
      `broker.internal:${port}`,
    ]) {
      expect((await rawRequest(`${server.url}/healthz`, { headers: { host } })).status, host).toBe(200);
    }
    for (const host of ['localhost.evil.example', '127.0.0.1.nip.io', 'internal']) {
      expect((await rawRequest(`${server.url}/healthz`, { headers: { host } })).status, host).toBe(421);
    }
  });

  it('reads host names and loopback addresses', () => {
    expect(hostName('Example.COM:9800')).toBe('example.com');
    expect(hostName('[::1]:9800')).toBe('[::1]');
    expect(hostName('localhost.')).toBe('localhost');
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', '127.0.0.1.nip.io', 'localhost.example'].some(isLoopback)).toBe(false);
  });
});
