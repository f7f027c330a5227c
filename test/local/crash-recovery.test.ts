import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, Producer, SimpleConsumer } from '../../src/sdk/index.ts';
import { freePort, spawnUntilReady } from '../support/processes.ts';

const root = join(import.meta.dirname, '..', '..');

/** The embedded broker as its own OS process, so it can really be killed. */
function startBroker(dataDir: string, port: number): Promise<ChildProcess> {
  const args = [join(root, 'src/cli/main.ts'), 'start', '--port', String(port), '--data-dir', dataDir];
  return spawnUntilReady(process.execPath, args, 'listening on');
}

describe('embedded broker killed with SIGKILL during concurrent sends', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('keeps every confirmed message, with dense offsets, after a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'nimbus-crash-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    let broker = await startBroker(dataDir, port);
    cleanups.push(async () => {
      if (broker.exitCode === null) broker.kill('SIGKILL');
    });
    const client = new Client({ endpoint: `http://127.0.0.1:${port}` });
    await client.createTopic('crash', { queueCount: 4 });
    await client.createGroup('crash-audit', { subscriptions: [{ topic: 'crash' }] });

    const producer = new Producer(client);
    const confirmed = new Map<string, { queueId: number; queueOffset: number }>();
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const result = await producer.send('crash', `writer ${w} message ${i}`);
          confirmed.set(result.msgId, { queueId: result.queueId ?? -1, queueOffset: result.queueOffset ?? -1 });
        } catch {
          return; // the broker died: this send is unconfirmed, which is allowed to be lost
        }
      }
    };
    const writers = Array.from({ length: 16 }, (_, w) => writer(w));
    while (confirmed.size < 300) await new Promise((resolve) => setTimeout(resolve, 5));
    broker.kill('SIGKILL');
    await new Promise((resolve) => broker.once('exit', resolve));
    stop = true;
    await Promise.all(writers);
    expect(confirmed.size).toBeGreaterThanOrEqual(300);

    broker = await startBroker(dataDir, port);
    const consumer = new SimpleConsumer(client, { group: 'crash-audit' });
    const seen = new Map<string, { queueId: number; queueOffset: number }>();
    for (;;) {
      const batch = await consumer.receive({ maxMessages: 32 });
      if (batch.length === 0) break;
      for (const message of batch)
        seen.set(message.msgId, { queueId: message.queueId, queueOffset: message.queueOffset });
      await consumer.ack(batch);
    }

    for (const [msgId, position] of confirmed) expect(seen.get(msgId)).toEqual(position);
    const offsetsByQueue = new Map<number, number[]>();
    for (const { queueId, queueOffset } of seen.values()) {
      offsetsByQueue.set(queueId, [...(offsetsByQueue.get(queueId) ?? []), queueOffset]);
    }
    for (const offsets of offsetsByQueue.values()) {
      offsets.sort((a, b) => a - b);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }

    broker.kill('SIGTERM');
    await new Promise((resolve) => broker.once('exit', resolve));
  }, 120_000);
});
