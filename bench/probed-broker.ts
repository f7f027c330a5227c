import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/processes.ts';
import type { ProbeReading } from './memory-probe.ts';

const root = join(import.meta.dirname, '..');

export interface ProbedBroker {
  endpoint: string;
  port: number;
  pid: number;
  /** The broker's own memory figures; after a full garbage collection when `gc`. */
  reading(gc: boolean): Promise<ProbeReading>;
  stop(): Promise<void>;
}

/**
 * Starts `nimbus start` in its own process on a fresh data dir, like bench/embedded-process.ts,
 * with bench/memory-probe.ts preloaded (and `--expose-gc`), so the bench can ask the broker
 * for its V8 heap figures. `env` adds variables (e.g. MALLOC_ARENA_MAX) for experiments.
 */
export async function startProbedBroker(
  brokerArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<ProbedBroker> {
  const dataDir = await mkdtemp(join(tmpdir(), 'nimbus-memory-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      join(import.meta.dirname, 'memory-probe.ts'),
      join(root, 'src/cli/main.ts'),
      'start',
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      ...brokerArgs,
    ],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, ...env } },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}: ${output}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid as number,
    reading(gc) {
      return new Promise((resolve, reject) => {
        const onMessage = (message: { type?: string; reading?: ProbeReading }) => {
          if (message?.type !== 'memory' || !message.reading) return;
          child.off('message', onMessage);
          resolve(message.reading);
        };
        child.on('message', onMessage);
        child.send({ type: 'memory', gc }, (error) => {
          if (error) {
            child.off('message', onMessage);
            reject(error);
          }
        });
      });
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
