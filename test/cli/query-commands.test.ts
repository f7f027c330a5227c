import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { main } from '../../src/cli/main.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { type EmbeddedServer, startEmbeddedServer } from '../../src/local/embedded-server.ts';

let server: EmbeddedServer;
let store: BrokerStore;
beforeAll(async () => {
  store = openSqliteStore({ path: ':memory:' });
  server = await startEmbeddedServer({ store });
});
afterAll(async () => {
  await server.close();
  await store.close();
});

/** Runs one `nimbus` invocation against the test server, capturing its output. */
async function nimbus(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    }),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    }),
    vi.spyOn(console, 'error').mockImplementation((...parts) => {
      stderr += `${parts.join(' ')}\n`;
    }),
  ];
  try {
    const code = await main([...args, '--endpoint', server.url]);
    return { code, stdout, stderr };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

async function json(...args: string[]): Promise<Record<string, unknown>> {
  const run = await nimbus(...args, '--json');
  expect(run, run.stderr).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

it('gets, queries and traces messages; shows group stats; resets offsets only when confirmed', async () => {
  await json('topic', 'create', 'cli-q', '--queues', '1');
  await json('group', 'create', 'cli-g', '--subscribe', 'cli-q');
  const sent: string[] = [];
  for (const body of ['one', 'two', 'three']) {
    sent.push((await json('send', 'cli-q', body, '--key', 'k-1')).msgId as string);
  }
  expect(await json('message', 'get', sent[1] ?? '')).toMatchObject({ msgId: sent[1], body: 'two' });
  const all = await json('message', 'query', 'cli-q', '--key', 'k-1', '--limit', '2', '--all');
  expect((all.messages as { msgId: string }[]).map((message) => message.msgId)).toEqual(sent);
  const range = await json('message', 'query', 'cli-q', '--start', '2000-01-01T00:00:00Z');
  expect((range.messages as unknown[]).length).toBe(3);

  const received = await json('receive', 'cli-g', '--max', '3', '--ack');
  expect((received.messages as unknown[]).length).toBe(3);
  const trace = await json('message', 'trace', sent[0] ?? '');
  expect((trace.events as { type: string }[]).map((event) => event.type)).toEqual(['SENT', 'DELIVERED', 'ACKED']);

  // Not on a terminal and without --yes: refused as a usage error, nothing moves.
  const unconfirmed = await nimbus('group', 'reset-offset', 'cli-g', '--topic', 'cli-q', '--offset', '0=0');
  expect(unconfirmed.code).toBe(2);
  expect(unconfirmed.stderr).toMatch(/--yes/);
  const stats = await json('group', 'stats', 'cli-g');
  expect(stats).toMatchObject({ group: 'cli-g', topics: [{ topic: 'cli-q', ready: 0, inFlight: 0 }] });

  expect(await json('group', 'reset-offset', 'cli-g', '--topic', 'cli-q', '--offset', '0=1', '--yes')).toMatchObject({
    lanes: 1,
    offsets: [{ queueId: 0, offset: 1 }],
  });
  expect(await json('group', 'stats', 'cli-g')).toMatchObject({ topics: [{ ready: 2 }] });
  const human = await nimbus('message', 'trace', sent[0] ?? '');
  expect(human.stdout).toMatch(/SENT[\s\S]*DELIVERED[\s\S]*ACKED/);
});
