import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnUntilReady } from '../support/processes.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

/** Runs the `nimbus` command the way a user does, with the project's Node 24. */
async function nimbus(endpoint: string, ...args: string[]) {
  const { stdout } = await run(process.execPath, [join(root, 'bin', 'nimbus.js'), ...args, '--endpoint', endpoint], {
    cwd: root,
  });
  return stdout;
}

describe('README quick start: npm start, then the CLI', () => {
  let child: ChildProcess;
  let endpoint: string;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'nimbus-cli-'));
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    child = await spawnUntilReady(
      'npm',
      ['start', '--', '--port', String(port), '--data-dir', dataDir],
      'listening on',
      {
        cwd: root,
        detached: true,
      },
    );
  });

  afterAll(async () => {
    // npm start runs node as a child: stop the whole process group.
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates a topic and group, sends, receives with --ack, and the message is gone', async () => {
    expect(await nimbus(endpoint, 'topic', 'create', 'cli-orders', '--queues', '2')).toContain('cli-orders ready');
    await nimbus(endpoint, 'group', 'create', 'cli-billing', '--subscribe', 'cli-orders=paid');
    const sent = JSON.parse(
      await nimbus(endpoint, 'send', 'cli-orders', 'hello from the CLI', '--tag', 'paid', '--key', 'k1', '--json'),
    );
    expect(sent.msgId).toMatch(/^[0-9A-F]{32}$/);
    await nimbus(endpoint, 'send', 'cli-orders', 'filtered out', '--tag', 'other');

    const received = JSON.parse(await nimbus(endpoint, 'receive', 'cli-billing', '--max', '10', '--ack', '--json'));
    expect(received.messages).toHaveLength(1);
    expect(received.messages[0]).toMatchObject({ msgId: sent.msgId, body: 'hello from the CLI', acked: true });

    const again = JSON.parse(await nimbus(endpoint, 'receive', 'cli-billing', '--max', '10', '--json'));
    expect(again.messages).toHaveLength(0);

    const topics = await nimbus(endpoint, 'topic', 'list');
    expect(topics).toMatch(/cli-orders\s+NORMAL\s+2/);
  });

  it('reports broker errors with their code and a non-zero exit', async () => {
    await expect(nimbus(endpoint, 'send', 'no-such-topic', 'x')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('TOPIC_NOT_FOUND'),
    });
    await expect(nimbus(endpoint, 'topic', 'frobnicate')).rejects.toMatchObject({ code: 2 });
  });

  it('sends many messages with --count and drains them', async () => {
    await nimbus(endpoint, 'topic', 'create', 'cli-bulk');
    await nimbus(endpoint, 'group', 'create', 'cli-bulk-g', '--subscribe', 'cli-bulk');
    expect(await nimbus(endpoint, 'send', 'cli-bulk', 'x', '--count', '70')).toContain('sent 70 messages');
    let total = 0;
    for (let i = 0; i < 5 && total < 70; i++) {
      total += JSON.parse(await nimbus(endpoint, 'receive', 'cli-bulk-g', '--max', '32', '--ack', '--json')).messages
        .length;
    }
    expect(total).toBe(70);
  });
});
