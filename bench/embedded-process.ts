import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/processes.ts';

const root = join(import.meta.dirname, '..');

/**
 * Starts `nimbus start` in its own process on a fresh data dir, as a user would run it,
 * so the server has its own event loop and the load generator does not steal its time.
 * `sourceRoot` picks the broker's source tree (another checkout, for A/B comparisons).
 */
export async function startEmbeddedProcess(
  extraArgs: string[] = [],
  sourceRoot: string = root,
): Promise<{ endpoint: string; port: number; pid: number; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'nimbus-bench-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [join(sourceRoot, 'src/cli/main.ts'), 'start', '--port', String(port), '--data-dir', dataDir, ...extraArgs],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: sourceRoot },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid as number,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts the floor server (bench/floor-server.ts) in its own process. */
export async function startFloorProcess(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'bench/floor-server.ts'), String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`floor server exited with ${code}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
