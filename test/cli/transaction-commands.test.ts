import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
    vi.spyOn(console, 'log').mockImplementation((...parts) => {
      stdout += `${parts.join(' ')}\n`;
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

describe('nimbus producer-group and transaction', () => {
  it('registers producer groups, sends a half message, commits and rolls back by transactionId', async () => {
    process.env.CLI_TEST_SECRET = 'cli-test-secret-0123456789';
    const webhook = await json(
      'producer-group',
      'put',
      'cli-payments',
      '--checker',
      'webhook',
      '--url',
      'https://pay.example/check',
      '--secret-env',
      'CLI_TEST_SECRET',
      '--max-checks',
      '4',
    );
    expect(webhook).toMatchObject({ name: 'cli-payments', checker: { secretSet: true }, maxChecks: 4 });
    const listed = await nimbus('producer-group', 'list');
    expect(listed.stdout).toContain('webhook https://pay.example/check');
    expect(listed.stdout).not.toContain('cli-test-secret');
    await json('producer-group', 'put', 'cli-poller', '--checker', 'poll', '--first-check-after', '1000');
    expect(await json('producer-group', 'get', 'cli-poller')).toMatchObject({
      checker: { type: 'poll' },
      firstCheckAfterMs: 1000,
    });
    expect(await nimbus('producer-group', 'put', 'x', '--checker', 'webhook')).toMatchObject({ code: 2 });

    await json('topic', 'create', 'cli-transfers', '--type', 'TRANSACTION', '--queues', '1');
    await json('group', 'create', 'cli-billing', '--subscribe', 'cli-transfers');
    const first = await json(
      'transaction',
      'send',
      'cli-transfers',
      'paid',
      '--producer-group',
      'cli-payments',
      '--key',
      'tx-1',
    );
    const second = await json('transaction', 'send', 'cli-transfers', 'void', '--producer-group', 'cli-payments');
    expect(((await json('receive', 'cli-billing')) as { messages: unknown[] }).messages).toEqual([]);
    expect(await json('transaction', 'commit', String(first.transactionId))).toEqual({
      msgId: first.msgId,
      topic: 'cli-transfers',
      queueId: 0,
      queueOffset: 0,
    });
    expect(await json('transaction', 'rollback', String(second.transactionId))).toMatchObject({ rolledBack: true });
    const conflict = await nimbus('transaction', 'commit', String(second.transactionId), '--json');
    expect(conflict.code).toBe(1);
    expect(JSON.parse(conflict.stderr)).toMatchObject({ error: { code: 'TRANSACTION_ROLLED_BACK', status: 409 } });
    const received = (await json('receive', 'cli-billing', '--max', '8')) as { messages: { body: string }[] };
    expect(received.messages.map((message) => message.body)).toEqual(['paid']);
    expect(await json('producer-group', 'delete', 'cli-poller')).toEqual({ deleted: 'cli-poller' });
  });
});
