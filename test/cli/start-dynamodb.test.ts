import { type ChildProcess, execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local.ts';
import { freePort, spawnUntilReady } from '../support/processes.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'bin', 'nimbus.js');

describe('nimbus start --store dynamodb', () => {
  let local: DynamoDbLocal;
  let broker: ChildProcess;
  let endpoint: string;

  beforeAll(async () => {
    local = await startDynamoDbLocal();
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    broker = await spawnUntilReady(
      process.execPath,
      [cli, 'start', '--port', String(port), '--store', 'dynamodb', '--dynamodb-endpoint', local.endpoint],
      'listening on',
      { cwd: root, env: { ...process.env, AWS_REGION: 'us-east-1' } },
    );
  }, 120_000);

  afterAll(async () => {
    if (broker?.exitCode === null) {
      broker.kill('SIGTERM');
      await new Promise((resolve) => broker.once('exit', resolve));
    }
    await local?.stop();
  });

  it('creates its tables and serves topics, sends and receives', async () => {
    const nimbus = async (...args: string[]) =>
      (await run(process.execPath, [cli, ...args, '--endpoint', endpoint], { cwd: root })).stdout;
    await nimbus('topic', 'create', 'ddb-orders', '--queues', '2');
    await nimbus('group', 'create', 'ddb-billing', '--subscribe', 'ddb-orders');
    const sent = JSON.parse(await nimbus('send', 'ddb-orders', 'stored in DynamoDB', '--json'));
    const received = JSON.parse(await nimbus('receive', 'ddb-billing', '--max', '5', '--ack', '--json'));
    expect(received.messages).toHaveLength(1);
    expect(received.messages[0]).toMatchObject({ msgId: sent.msgId, body: 'stored in DynamoDB', acked: true });
  });
});
