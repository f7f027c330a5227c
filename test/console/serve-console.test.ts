import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { readConsoleFiles, writeConsoleFiles } from '../../src/console/server/console-files.ts';
import { withConsole } from '../../src/console/server/serve-console.ts';
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

describe('a console built ahead of time', () => {
  it('is served from its folder as written, and a folder missing a file is no console', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nimbus-console-'));
    try {
      const file = (body: string) => ({ contentType: 'ignored', body: new TextEncoder().encode(body) });
      await writeConsoleFiles(
        dir,
        new Map([
          ['index.html', file('<!doctype html><title>prebuilt</title>')],
          ['app.js', file('x')],
          ['app.css', file('')],
        ]),
      );
      const assets = await readConsoleFiles(dir);
      expect(assets?.get('app.js')?.contentType).toBe('text/javascript; charset=utf-8');
      const listener = withConsole(
        (_req, res) => res.end('api'),
        async () => assets!,
      );
      const http = createServer(listener);
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      try {
        expect(await (await fetch(`${base}/console/`)).text()).toContain('<title>prebuilt</title>');
        expect(await (await fetch(`${base}/v1/topics`)).text()).toBe('api');
      } finally {
        await new Promise((resolve) => http.close(resolve));
      }
      await unlink(path.join(dir, 'app.css'));
      expect(await readConsoleFiles(dir)).toBeUndefined();
      expect(await readConsoleFiles(path.join(dir, 'absent'))).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers 500 with the cause when the console cannot be loaded, and loads again on the next request', async () => {
    let calls = 0;
    const listener = withConsole(
      (_req, res) => res.end('api'),
      async () => {
        calls += 1;
        throw new Error('no console here');
      },
    );
    const http = createServer(listener);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${base}/console/`);
        expect(response.status).toBe(500);
        expect(await response.text()).toContain('no console here');
      }
      expect(calls).toBe(2);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
