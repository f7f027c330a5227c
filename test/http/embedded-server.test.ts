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
});
