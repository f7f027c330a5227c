import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildPackages } from '../../scripts/build-packages.ts';

export const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * Peer dependencies the scratch app takes from this repository's install instead of the
 * registry: they are what a CDK user (aws-cdk-lib, constructs, cdk-nag) or a SigV4 user
 * (the AWS signing packages) already has, and copying aws-cdk-lib would cost minutes.
 */
const LINKED_PEERS = [
  'aws-cdk-lib',
  'constructs',
  'cdk-nag',
  '@aws-crypto/sha256-js',
  '@aws-sdk/credential-provider-node',
  '@smithy/signature-v4',
];

export interface ScratchApp {
  dir: string;
  /** The installed package names and the size of each tarball. */
  tarballs: { file: string; bytes: number }[];
}

/**
 * Builds and packs the three packages, then installs the tarballs into a new app under the
 * OS temp directory, outside the repository, the way a user installs them.
 */
export async function installIntoScratchApp(): Promise<ScratchApp> {
  const packages = await buildPackages();
  const dir = await mkdtemp(path.join(tmpdir(), 'nimbus-packages-'));
  const packed = path.join(dir, 'tarballs');
  await mkdir(packed);
  const tarballs: ScratchApp['tarballs'] = [];
  for (const { dir: packageDir } of packages) {
    const { stdout } = await run('npm', ['pack', packageDir, '--pack-destination', packed, '--json'], { cwd: ROOT });
    const [info] = JSON.parse(stdout) as { filename: string; size: number }[];
    if (!info) throw new Error(`npm pack printed nothing for ${packageDir}`);
    tarballs.push({ file: path.join(packed, info.filename), bytes: info.size });
  }
  const app = path.join(dir, 'app');
  await mkdir(app);
  await writeFile(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }),
  );
  // --legacy-peer-deps: the peers are linked below rather than installed from the registry.
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--legacy-peer-deps', ...tarballs.map((t) => t.file)],
    { cwd: app, timeout: 180_000 },
  );
  for (const peer of LINKED_PEERS) {
    const target = path.join(app, 'node_modules', peer);
    await mkdir(path.dirname(target), { recursive: true });
    await symlink(path.join(ROOT, 'node_modules', peer), target, 'dir');
  }
  for (const file of await readdir(path.join(import.meta.dirname, 'scratch'))) {
    await cp(path.join(import.meta.dirname, 'scratch', file), path.join(app, file));
  }
  return { dir: app, tarballs };
}

/** The machine's system Node when it is older than 24 (the npm runtime here is Node 20), else undefined. */
export async function olderSystemNode(): Promise<string | undefined> {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    try {
      const { stdout } = await run(candidate, ['--version']);
      if (Number(stdout.trim().slice(1).split('.')[0]) < 24) return candidate;
    } catch {
      // not installed there
    }
  }
  return undefined;
}
