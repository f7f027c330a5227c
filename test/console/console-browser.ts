import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { type EmbeddedServer, startEmbeddedServer } from '../../src/local/embedded-server.ts';
import { Client } from '../../src/sdk/index.ts';

const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of each step, kept as test artefacts (gitignored). */
export const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/console');

/** An embedded broker with authentication on, a token with every permission, and a headless Chromium. */
export interface ConsoleRig {
  broker: EmbeddedServer;
  token: string;
  /** The SDK with the same token, to set up and check what the console did. */
  client: Client;
  browser: Browser;
  /** Stops the broker, keeping its store, as a restart does; `startBroker` brings it back on the same port. */
  stopBroker(): Promise<void>;
  startBroker(): Promise<void>;
  close(): Promise<void>;
}

export async function startConsoleRig(): Promise<ConsoleRig> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The console test needs Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does).`);
  }
  const token = `nmq_${randomBytes(16).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'nimbus-console-'));
  const authFile = join(dir, 'auth.json');
  const principal = {
    name: 'operator',
    tokenSha256: createHash('sha256').update(token).digest('hex'),
    permissions: [{ resource: '*', actions: ['ADMIN', 'PUB', 'SUB'] }],
  };
  await writeFile(authFile, JSON.stringify({ principals: [principal] }));
  await mkdir(ARTIFACTS, { recursive: true });
  const store = openSqliteStore({ path: ':memory:' });
  let broker = await startEmbeddedServer({ store, authFile });
  let running = true;
  const port = Number(new URL(broker.url).port);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return {
    get broker() {
      return broker;
    },
    token,
    client: new Client({ endpoint: broker.url, token }),
    browser,
    async stopBroker() {
      running = false;
      await broker.close();
    },
    async startBroker() {
      broker = await startEmbeddedServer({ store, authFile, port });
      running = true;
    },
    async close() {
      await browser.close();
      if (running) await broker.close();
      await store.close();
    },
  };
}

/** What went wrong in a tab: uncaught errors, failed requests, and answers of 400 and above. */
export interface TabProblems {
  pageErrors: string[];
  failedRequests: string[];
}

/** A new tab that records its problems, sized for readable screenshots. */
export async function openTab(browser: Browser): Promise<{ tab: Page; problems: TabProblems }> {
  const tab = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const problems: TabProblems = { pageErrors: [], failedRequests: [] };
  tab.on('pageerror', (error) => problems.pageErrors.push(error.message));
  tab.on('console', (message) => {
    if (message.type() === 'error') problems.pageErrors.push(`${message.text()} at ${message.location().url}`);
  });
  tab.on('requestfailed', (request) => problems.failedRequests.push(`${request.method()} ${request.url()}`));
  tab.on('response', (response) => {
    if (response.status() >= 400) {
      problems.failedRequests.push(`${response.request().method()} ${response.url()} ${response.status()}`);
    }
  });
  return { tab, problems };
}

export async function screenshot(tab: Page, name: string): Promise<void> {
  await tab.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
