import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { type EmbeddedServer, startEmbeddedServer } from '../../src/local/embedded-server.ts';

/**
 * The SDK in a real browser: bundled for the browser platform (a Node built-in anywhere in
 * it fails the build), loaded by a page on another origin, talking to the embedded server
 * through CORS with the browser's own fetch.
 */
const CHROMIUM = '/usr/bin/chromium';
/** The app: loads the bundled SDK as a module and exposes it to the test. */
const APP_PAGE =
  '<!doctype html><title>app</title>' +
  '<script type="module">import * as nimbus from "/sdk.js"; window.nimbus = nimbus;</script>';

type Sdk = typeof import('../../src/sdk/index.ts');

/** Opens the app in a new tab, once its SDK module has loaded. */
async function openApp() {
  const tab = await browser.newPage();
  const failures: string[] = [];
  tab.on('pageerror', (error) => failures.push(error.message));
  await tab.goto(`${pageOrigin}/`);
  await tab.waitForFunction(() => 'nimbus' in window);
  return { tab, failures };
}

let broker: EmbeddedServer;
let brokerStore: ReturnType<typeof openSqliteStore>;
let page: Server;
let pageOrigin: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The browser test needs Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does).`);
  }
  const bundle = await build({
    entryPoints: [join(import.meta.dirname, '../../src/sdk/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
  });
  const sdk = bundle.outputFiles[0]?.text ?? '';
  // The page comes from its own server: another origin than the broker's, as an app's would.
  page = createServer((req, res) => {
    const [type, body] = req.url === '/sdk.js' ? ['text/javascript', sdk] : ['text/html', APP_PAGE];
    res.writeHead(200, { 'content-type': type });
    res.end(body);
  });
  await new Promise<void>((resolve) => page.listen(0, 'localhost', resolve));
  pageOrigin = `http://localhost:${(page.address() as AddressInfo).port}`;
  // Foreign origins are refused by default: the app's origin is named explicitly.
  brokerStore = openSqliteStore({ path: ':memory:' });
  broker = await startEmbeddedServer({ store: brokerStore, cors: [pageOrigin] });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => page?.close(resolve));
  await broker?.close();
  await brokerStore?.close();
});

describe('the SDK in a browser', () => {
  it('creates a topic and a group, sends text and bytes, receives and acks them, across origins', async () => {
    const { tab, failures } = await openApp();
    const outcome = await tab.evaluate(async (endpoint) => {
      const { Client, Producer, SimpleConsumer } = (window as unknown as { nimbus: Sdk }).nimbus;
      const client = new Client({ endpoint });
      await client.createTopic('browser-orders', { queueCount: 2 });
      await client.createGroup('browser-billing', { subscriptions: [{ topic: 'browser-orders', tagExpression: '*' }] });
      const producer = new Producer(client);
      const text = await producer.send('browser-orders', { body: 'héllo from a tab', tag: 'paid', keys: ['o-1'] });
      const bytes = await producer.send('browser-orders', new Uint8Array([0, 255, 128, 7]));
      const consumer = new SimpleConsumer(client, { group: 'browser-billing' });
      const received = [];
      while (received.length < 2) received.push(...(await consumer.receive({ maxMessages: 32, waitMs: 2_000 })));
      const acks = await consumer.ack(received);
      const again = await consumer.receive({ maxMessages: 32 });
      return {
        sent: [text.msgId, bytes.msgId],
        received: received.map((m) => ({
          msgId: m.msgId,
          tag: m.tag,
          keys: [...m.keys],
          bytes: [...m.body],
          text: m.tag ? m.text() : undefined,
        })),
        acked: acks.map((a) => a.ok),
        again: again.length,
        origin: location.origin,
      };
    }, broker.url);
    expect(failures).toEqual([]);
    expect(outcome.origin).toBe(pageOrigin);
    expect(outcome.origin).not.toBe(new URL(broker.url).origin);
    const byId = new Map(outcome.received.map((m) => [m.msgId, m]));
    expect([...byId.keys()].sort()).toEqual([...outcome.sent].sort());
    expect(byId.get(outcome.sent[0]!)).toMatchObject({ tag: 'paid', keys: ['o-1'], text: 'héllo from a tab' });
    expect(byId.get(outcome.sent[1]!)?.bytes).toEqual([0, 255, 128, 7]);
    expect(outcome.acked).toEqual([true, true]);
    expect(outcome.again).toBe(0);
    await tab.close();
  });

  it('turns broker errors into the typed errors, with code and request id readable across origins', async () => {
    const { tab } = await openApp();
    const error = await tab.evaluate(async (endpoint) => {
      const { Client, Producer, NotFoundError } = (window as unknown as { nimbus: Sdk }).nimbus;
      try {
        await new Producer(new Client({ endpoint })).send('browser-missing', 'x');
        return undefined;
      } catch (caught) {
        const e = caught as { code: string; status: number; requestId: string; name: string };
        return {
          notFound: caught instanceof NotFoundError,
          code: e.code,
          status: e.status,
          requestId: e.requestId,
        };
      }
    }, broker.url);
    expect(error).toMatchObject({ notFound: true, code: 'TOPIC_NOT_FOUND', status: 404 });
    expect(error?.requestId).toMatch(/\S+/);
    await tab.close();
  });
});
