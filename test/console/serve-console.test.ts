import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { type EmbeddedServer, startEmbeddedServer } from '../../src/local/embedded-server.ts';

/** The embedded broker serves the console's files beside the API, with their types and a strict CSP. */
let server: EmbeddedServer;
let store: ReturnType<typeof openSqliteStore>;

beforeAll(async () => {
  store = openSqliteStore({ path: ':memory:' });
  server = await startEmbeddedServer({ store });
});

afterAll(async () => {
  await server?.close();
  await store?.close();
});

describe('the console on the embedded broker', () => {
  it('redirects /console to /console/ so relative asset URLs resolve', async () => {
    const response = await fetch(`${server.url}/console`, { redirect: 'manual' });
    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe('/console/');
  });

  it('serves the page, script and stylesheet with their content types and a CSP that allows no other origin', async () => {
    const page = await fetch(`${server.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('<script type="module" src="app.js">');
    const script = await fetch(`${server.url}/console/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // The bundle carries the SDK client it calls the broker with, and no reference to a CDN.
    const code = await script.text();
    expect(code).toContain('/v1/topics');
    expect(code).not.toMatch(/https:\/\/(cdn|unpkg|esm\.sh)/);
    const style = await fetch(`${server.url}/console/app.css`);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await style.text()).toContain('.timeline');
  });

  it('answers 404 for files it does not have and 405 for writes, and leaves the API to the API', async () => {
    // Files are looked up by name in the bundle, never on disk: an encoded path climbs nowhere.
    expect((await fetch(`${server.url}/console/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/console/secret.txt`)).status).toBe(404);
    const post = await fetch(`${server.url}/console/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${server.url}/console/app.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
    const topics = await fetch(`${server.url}/v1/topics`);
    expect(topics.status).toBe(200);
    expect(await topics.json()).toEqual({ topics: [] });
  });
});
