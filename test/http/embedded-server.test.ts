import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { startEmbeddedServer } from '../../src/local/embedded-server.ts';
import { Client, Producer, SimpleConsumer } from '../../src/sdk/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

/** A server on an in-memory store with a manual clock and a fast background loop, logging into `lines`. */
async function startWithBackgroundLoop() {
  const clock = new ManualClock();
  const store = openSqliteStore({ path: ':memory:' });
  const lines: string[] = [];
  const server = await startEmbeddedServer({
    store,
    clock,
    sweepIntervalMs: 20,
    logger: { info: (message) => lines.push(message), error: (message) => lines.push(`error: ${message}`) },
  });
  return { clock, store, lines, server };
}

async function untilLogged(lines: string[], line: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!lines.includes(line) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('embedded server', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'nimbus-embedded-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps messages in <dataDir>/nimbus.db across a restart', async () => {
    const first = await startEmbeddedServer({ port: 0, dataDir });
    expect(first.url).toBe(`http://127.0.0.1:${first.port}`);
    expect(existsSync(join(dataDir, 'nimbus.db'))).toBe(true);
    const client = new Client({ endpoint: first.url });
    await client.createTopic('durable', { queueCount: 1 });
    await client.createGroup('reader', { subscriptions: [{ topic: 'durable' }] });
    const sent = await new Producer(client).send('durable', 'survives restarts');
    await first.close();

    const second = await startEmbeddedServer({ port: 0, dataDir });
    try {
      const consumer = new SimpleConsumer(new Client({ endpoint: second.url }), { group: 'reader' });
      const [message] = await consumer.receive();
      expect(message?.msgId).toBe(sent.msgId);
      expect(message?.text()).toBe('survives restarts');
    } finally {
      await second.close();
    }
  });

  it('refuses a port in use, and close() is idempotent', async () => {
    const running = await startEmbeddedServer({ port: 0, dataDir });
    await expect(startEmbeddedServer({ port: running.port, dataDir: join(dataDir, 'other') })).rejects.toThrow(
      /EADDRINUSE/,
    );
    await Promise.all([running.close(), running.close()]);
    await running.close();
  });

  it('sweeps expired messages in the background and logs through the given logger only', async () => {
    const { clock, store, lines, server } = await startWithBackgroundLoop();
    try {
      const client = new Client({ endpoint: server.url });
      await client.createTopic('short', { queueCount: 1, retentionHours: 1 });
      await new Producer(client).sendBatch('short', ['a', 'b', 'c']);
      clock.advance(3_600_000 + 1);
      await untilLogged(lines, 'retention-sweep: 3');
      expect(lines).toContain('retention-sweep: 3');
      expect(await store.sweepExpired(clock.now(), 100)).toBe(0);
      expect(lines.filter((line) => line.startsWith('error'))).toEqual([]);
    } finally {
      await server.close();
      await store.close();
    }
    expect(lines[0]).toMatch(/^Nimbus MQ listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines.at(-1)).toBe('Nimbus MQ stopped');
  });

  it('dead-letters messages whose last delivery expired unacked, with nobody receiving', async () => {
    const { clock, store, lines, server } = await startWithBackgroundLoop();
    try {
      const client = new Client({ endpoint: server.url });
      await client.createTopic('fragile', { queueCount: 1 });
      await client.createGroup('fragile-g', { subscriptions: [{ topic: 'fragile' }], maxDeliveryAttempts: 1 });
      await new Producer(client).send('fragile', 'never acked');
      const consumer = new SimpleConsumer(client, { group: 'fragile-g' });
      expect(await consumer.receive({ invisibleDurationMs: 10_000 })).toHaveLength(1);
      clock.advance(10_001);
      await untilLogged(lines, 'lease-expiry: 1');
      const letters = (await client.listDeadLetters('fragile-g')).deadLetters;
      expect(letters.map((letter) => letter.message?.body)).toEqual(['never acked']);
      expect(lines.filter((line) => line.startsWith('error'))).toEqual([]);
    } finally {
      await server.close();
      await store.close();
    }
  });

  it('answers CORS preflights and lets browsers on other origins read responses, errors included', async () => {
    const server = await startEmbeddedServer({ dataDir });
    try {
      const origin = 'http://console.example:5173';
      const preflight = await fetch(`${server.url}/v1/topics/orders`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'content-type, x-team',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-methods')?.split(', ')).toEqual(
        expect.arrayContaining(['GET', 'PUT', 'POST', 'DELETE']),
      );
      expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type, x-team');
      expect(Number(preflight.headers.get('access-control-max-age'))).toBeGreaterThan(0);
      expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

      const created = await fetch(`${server.url}/v1/topics/orders`, {
        method: 'PUT',
        headers: { origin, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(created.status).toBe(200);
      expect(created.headers.get('access-control-allow-origin')).toBe('*');
      expect(created.headers.get('access-control-expose-headers')).toContain('x-request-id');
      const missing = await fetch(`${server.url}/v1/topics/nope`, { headers: { origin } });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('access-control-allow-origin')).toBe('*');
      // A plain OPTIONS that is not a preflight is still routed (and refused) as usual.
      expect((await fetch(`${server.url}/v1/topics`, { method: 'OPTIONS' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('limits CORS to the configured origins, or turns it off', async () => {
    const allowed = 'http://console.example';
    const listed = await startEmbeddedServer({ dataDir: join(dataDir, 'listed'), cors: [allowed] });
    const off = await startEmbeddedServer({ dataDir: join(dataDir, 'off'), cors: false });
    try {
      const mine = await fetch(`${listed.url}/v1/topics`, { headers: { origin: allowed } });
      expect(mine.headers.get('access-control-allow-origin')).toBe(allowed);
      expect(mine.headers.get('vary')).toContain('origin');
      const foreign = await fetch(`${listed.url}/v1/topics`, { headers: { origin: 'http://evil.example' } });
      expect(foreign.status).toBe(200);
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
      const refused = await fetch(`${listed.url}/v1/topics`, {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' },
      });
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      const none = await fetch(`${off.url}/v1/topics`, { headers: { origin: allowed } });
      expect(none.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await listed.close();
      await off.close();
    }
  });
});
