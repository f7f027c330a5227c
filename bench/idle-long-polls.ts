/**
 * Memory of the embedded broker (its own process, `nimbus start`) at rest, under load,
 * with 1,000 idle long-polls, and under the slow-body attack that used to take it to
 * 1.9 GB. Prints RSS at each step; no pass or fail.
 *
 *   node bench/idle-long-polls.ts [--polls 1000] [--attackers 300]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/support/processes.ts';
import { BenchClient, runConcurrent } from './http-client.ts';

const { values } = parseArgs({ options: { polls: { type: 'string' }, attackers: { type: 'string' } } });
const POLLS = Number(values.polls ?? 1_000);
const ATTACKERS = Number(values.attackers ?? 300);
const root = join(import.meta.dirname, '..');

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function startBroker(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      join(root, 'src/cli/main.ts'),
      'start',
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      // Room for every poll of this one client address; the defaults would refuse most of them.
      '--max-long-polls',
      String(POLLS + 10),
      '--max-long-polls-per-client',
      String(POLLS + 10),
      '--max-connections',
      String(POLLS + ATTACKERS + 100),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return child;
}

const dataDir = await mkdtemp(join(tmpdir(), 'nimbus-rss-'));
const port = await freePort();
const broker = await startBroker(port, dataDir);
const pid = broker.pid as number;
const rows: [string, number][] = [];
const record = async (step: string) => {
  const rss = await rssMiB(pid);
  rows.push([step, rss]);
  console.log(`${step.padEnd(58)} ${rss.toFixed(0).padStart(6)} MiB`);
};

try {
  const client = new BenchClient(`http://127.0.0.1:${port}`);
  await client.request('PUT', '/v1/topics/rss', { queueCount: 8 });
  await client.request('PUT', '/v1/groups/rss-g', { subscriptions: [{ topic: 'rss' }] });
  await client.request('PUT', '/v1/topics/idle', { queueCount: 1 });
  await client.request('PUT', '/v1/groups/idle-g', { subscriptions: [{ topic: 'idle' }] });
  await sleep(500);
  await record('at rest');

  // Load: 64,000 1 KiB messages in batches of 32, 16 in flight, then received and acked.
  const body = 'x'.repeat(1024);
  const batch = { messages: Array.from({ length: 32 }, () => ({ body })) };
  await runConcurrent(2_000, 16, async () => {
    await client.request('POST', '/v1/topics/rss/messages', batch);
  });
  await record('after sending 64,000 x 1 KiB (batches of 32, 16 in flight)');
  let received = 0;
  await runConcurrent(4, 4, async () => {
    while (received < 64_000) {
      const { json } = await client.request<{ messages: { receiptHandle: string }[] }>(
        'POST',
        '/v1/groups/rss-g/receive',
        {
          maxMessages: 32,
        },
      );
      if (json.messages.length === 0) break;
      received += json.messages.length;
      await client.request('POST', '/v1/groups/rss-g/ack', {
        receiptHandles: json.messages.map((message) => message.receiptHandle),
      });
    }
  });
  await record(`after receiving and acking ${received}`);
  client.close();

  // Idle long-polls: each one a connection and a receive waiting for 20 s on an empty group.
  const polls: Socket[] = [];
  const poll = JSON.stringify({ waitMs: 20_000, maxMessages: 32 });
  for (let i = 0; i < POLLS; i++) {
    const socket = await openSocket(port);
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.write(
      `POST /v1/groups/idle-g/receive HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${poll.length}\r\n\r\n${poll}`,
    );
    polls.push(socket);
  }
  await sleep(2_000);
  await record(`with ${POLLS} idle long-polls`);
  for (const socket of polls) socket.destroy();
  await sleep(1_000);
  await record('after they disconnected');

  // The attack of the issue: connections that each send most of a 6 MiB body and stall.
  const attackers: Socket[] = [];
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  let refused = 0;
  for (let i = 0; i < ATTACKERS; i++) {
    const socket = await openSocket(port);
    socket.on('data', (data: Buffer) => {
      if (/^HTTP\/1\.1 (503|408)/.test(data.toString('latin1'))) refused++;
    });
    socket.on('error', () => {});
    socket.write(
      `POST /v1/topics/rss/messages HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${6 * 1024 * 1024}\r\n\r\n`,
    );
    for (let j = 0; j < 5; j++) socket.write(chunk);
    attackers.push(socket);
  }
  await sleep(2_000);
  await record(`with ${ATTACKERS} stalled 6 MiB uploads (${refused} refused so far)`);
  await sleep(10_000);
  await record(`12 s later (${refused} answered 503 or 408)`);
  for (const socket of attackers) socket.destroy();
  await sleep(1_000);
  await record('after the attackers left');
} finally {
  broker.kill('SIGTERM');
  await new Promise((resolve) => broker.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
}
