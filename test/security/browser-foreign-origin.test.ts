import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { type EmbeddedServer, startEmbeddedServer } from '../../src/local/embedded-server.ts';
import { Client, Producer, SimpleConsumer } from '../../src/sdk/index.ts';

/**
 * The attack of issue "any web page can control a developer's local broker", replayed in
 * headless Chromium against a broker with default options: a page on another origin tries
 * to read, consume, delete and create, and the broker's data is unchanged afterwards.
 */
const CHROMIUM = '/usr/bin/chromium';

let store: BrokerStore;
let broker: EmbeddedServer;
let page: Server;
let pageOrigin: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The browser test needs Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does).`);
  }
  store = openSqliteStore({ path: ':memory:' });
  broker = await startEmbeddedServer({ store });
  const client = new Client({ endpoint: broker.url });
  await client.createTopic('orders', { queueCount: 1 });
  await client.createGroup('billing', { subscriptions: [{ topic: 'orders' }] });
  for (const body of ['one', 'two', 'three']) await new Producer(client).send('orders', body);
  page = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>evil</title>');
  });
  await new Promise<void>((resolve) => page.listen(0, 'localhost', resolve));
  pageOrigin = `http://localhost:${(page.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (page) await new Promise((resolve) => page.close(resolve));
  await broker?.close();
  await store?.close();
});

describe('a page on a foreign origin, against a broker with default options', () => {
  it('can neither read nor consume, delete or create anything', async () => {
    const tab = await browser.newPage();
    await tab.goto(`${pageOrigin}/`);
    const attempts = await tab.evaluate(async (endpoint) => {
      const attempt = async (path: string, init: RequestInit) => {
        try {
          const response = await fetch(`${endpoint}${path}`, init);
          return response.type === 'opaque' ? 'opaque' : `read ${response.status}: ${await response.text()}`;
        } catch (error) {
          return `blocked: ${(error as Error).name}`;
        }
      };
      const json = { 'content-type': 'application/json' };
      return {
        listTopics: await attempt('/v1/topics', {}),
        receive: await attempt('/v1/groups/billing/receive', {
          method: 'POST',
          headers: json,
          body: '{"maxMessages":32}',
        }),
        // "Simple" requests go out without a preflight; the page cannot read the answer, but they still arrive.
        receiveNoCors: await attempt('/v1/groups/billing/receive', { method: 'POST', mode: 'no-cors' }),
        redriveNoCors: await attempt('/v1/groups/billing/dlq/redrive', { method: 'POST', mode: 'no-cors' }),
        sendNoCors: await attempt('/v1/topics/orders/messages', {
          method: 'POST',
          mode: 'no-cors',
          headers: { 'content-type': 'text/plain' },
          body: '{"body":"forged"}',
        }),
        deleteGroup: await attempt('/v1/groups/billing', { method: 'DELETE' }),
        deleteTopic: await attempt('/v1/topics/orders', { method: 'DELETE' }),
        createTopic: await attempt('/v1/topics/evil', { method: 'PUT', headers: json, body: '{}' }),
      };
    }, broker.url);
    await tab.close();

    expect(attempts).toEqual({
      listTopics: 'blocked: TypeError',
      receive: 'blocked: TypeError',
      receiveNoCors: 'opaque',
      redriveNoCors: 'opaque',
      sendNoCors: 'opaque',
      deleteGroup: 'blocked: TypeError',
      deleteTopic: 'blocked: TypeError',
      createTopic: 'blocked: TypeError',
    });
    // Nothing changed: the topic and group are there, nothing was created, all three messages are still unread.
    const client = new Client({ endpoint: broker.url });
    expect((await client.listTopics()).map((topic) => topic.name)).toEqual(['orders']);
    expect((await client.listGroups()).map((group) => group.name)).toEqual(['billing']);
    const received = await new SimpleConsumer(client, { group: 'billing' }).receive({ maxMessages: 32, waitMs: 1_000 });
    expect(received.map((message) => message.text()).sort()).toEqual(['one', 'three', 'two']);
  });
});
