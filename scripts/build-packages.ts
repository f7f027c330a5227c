import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';
import { FUNCTION_BUNDLING, PREBUNDLED_HANDLERS_DIR } from '../lib/function-bundling.ts';
import { bundleConsole } from '../src/console/server/bundle-console.ts';
import type { ConsoleAssets } from '../src/console/server/console-files.ts';
import { writeConsoleFiles } from '../src/console/server/console-files.ts';

/**
 * Builds the three installable packages under packages/ from the source tree as it is
 * (nothing moves): JavaScript by esbuild, declarations by tsc. Outputs go to each
 * package's gitignored dist/; `npm pack packages/<name>` then makes the tarball.
 *
 * - `@nimbus-mq/sdk`: the SDK as one ESM file for Node 20+ and browsers (imports nothing),
 *   plus the SigV4 signer as its own entry (its AWS packages stay external: optional peers).
 * - `@nimbus-mq/broker`: the CLI and embedded broker as one ESM file with every dependency
 *   inside, so `npx nimbus start` needs nothing but Node 24, and the web console built
 *   ahead of time beside it (`dist/console/`), since the package carries neither esbuild
 *   nor the console's sources.
 * - `@nimbus-mq/cdk`: the construct library (aws-cdk-lib, constructs and cdk-nag are peers)
 *   and every Lambda handler pre-bundled, so a CDK app synthesizes without type stripping
 *   inside node_modules and without esbuild; the console function's folder also holds the
 *   built console it serves.
 */

const ROOT = path.resolve(import.meta.dirname, '..');
const PACKAGES = path.join(ROOT, 'packages');
const run = promisify(execFile);

/** Some bundled CommonJS dependencies call `require` for Node built-ins; ESM has none. */
const NODE_REQUIRE_BANNER = FUNCTION_BUNDLING.banner;

const COMMON: BuildOptions = {
  absWorkingDir: ROOT,
  bundle: true,
  format: 'esm',
  legalComments: 'linked',
  logLevel: 'warning',
};

export interface BuiltPackage {
  name: string;
  /** The package directory, ready for `npm pack`. */
  dir: string;
}

async function clean(dir: string): Promise<void> {
  await rm(path.join(dir, 'dist'), { recursive: true, force: true });
  await mkdir(path.join(dir, 'dist'), { recursive: true });
}

async function buildSdk(dir: string): Promise<void> {
  await build({
    ...COMMON,
    entryPoints: { index: 'packages/sdk/index.ts' },
    outdir: path.join(dir, 'dist'),
    platform: 'neutral',
    target: 'es2022',
  });
  await build({
    ...COMMON,
    entryPoints: { 'aws-sigv4': 'src/signer/aws-sigv4-signer.ts' },
    outdir: path.join(dir, 'dist'),
    platform: 'node',
    target: 'node20',
    // The signer's AWS packages are optional peer dependencies: only its users install them.
    external: ['@aws-crypto/*', '@aws-sdk/*', '@smithy/*'],
  });
}

async function buildBroker(dir: string, consoleFiles: ConsoleAssets): Promise<void> {
  await build({
    ...COMMON,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: path.join(dir, 'dist'),
    platform: 'node',
    target: 'node24',
    banner: { js: NODE_REQUIRE_BANNER },
    // Only the repository's fallback (bundling the console from its sources) loads esbuild;
    // the installed broker serves the console written below and never reaches that import.
    external: ['esbuild'],
  });
  await writeConsoleFiles(path.join(dir, 'dist', 'console'), consoleFiles);
}

async function buildCdk(dir: string, consoleFiles: ConsoleAssets): Promise<void> {
  await build({
    ...COMMON,
    entryPoints: { index: 'packages/cdk/index.ts' },
    outdir: path.join(dir, 'dist'),
    platform: 'node',
    target: 'node20',
    external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag'],
  });
  // Every handler in functions/, bundled exactly as the stack bundles it from the repository.
  const handlers = (await readdir(path.join(ROOT, 'functions'))).filter((file) => file.endsWith('.ts'));
  await Promise.all(
    handlers.map((file) =>
      build({
        absWorkingDir: ROOT,
        entryPoints: [path.join('functions', file)],
        bundle: true,
        outfile: path.join(dir, PREBUNDLED_HANDLERS_DIR, file.slice(0, -3), 'index.mjs'),
        platform: FUNCTION_BUNDLING.platform,
        target: FUNCTION_BUNDLING.target,
        format: FUNCTION_BUNDLING.format,
        minify: FUNCTION_BUNDLING.minify,
        mainFields: [...FUNCTION_BUNDLING.mainFields],
        external: [...FUNCTION_BUNDLING.external],
        banner: { js: FUNCTION_BUNDLING.banner },
        logLevel: 'warning',
      }),
    ),
  );
  // The console function serves the files beside its bundle (functions/console.ts).
  await writeConsoleFiles(path.join(dir, PREBUNDLED_HANDLERS_DIR, 'console', 'console'), consoleFiles);
}

/**
 * Declarations of the whole source tree in one tsc run (the tree keeps its shape, so
 * `src/sdk/index.d.ts` still finds `src/api/types.d.ts`), then copied into each package.
 * Relative `.ts` specifiers become `.js`, which TypeScript maps to the `.d.ts` beside them.
 */
async function emitDeclarations(): Promise<string> {
  const out = path.join(PACKAGES, '.types');
  await rm(out, { recursive: true, force: true });
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', path.join(PACKAGES, 'tsconfig.declarations.json')], { cwd: ROOT });
  await rewriteSpecifiers(out);
  return out;
}

async function rewriteSpecifiers(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace(/((?:from|import\()\s*'\.{1,2}\/[^']*)\.ts'/g, "$1.js'"));
  }
}

/**
 * Builds every package and returns their directories.
 * @example
 * const packages = await buildPackages();
 * for (const { dir } of packages) execFileSync('npm', ['pack', dir]);
 */
export async function buildPackages(): Promise<BuiltPackage[]> {
  const sdk = path.join(PACKAGES, 'sdk');
  const broker = path.join(PACKAGES, 'broker');
  const cdk = path.join(PACKAGES, 'cdk');
  const [consoleFiles] = await Promise.all([bundleConsole(), clean(sdk), clean(broker), clean(cdk)]);
  const [types] = await Promise.all([
    emitDeclarations(),
    buildSdk(sdk),
    buildBroker(broker, consoleFiles),
    buildCdk(cdk, consoleFiles),
  ]);
  // The tree keeps its shape: the SDK's declarations reach src/api (types inferred from its zod schemas).
  const copyTypes = (into: string, folders: string[]) =>
    Promise.all(
      folders.map((folder) =>
        cp(path.join(types, folder), path.join(into, 'dist', 'types', folder), { recursive: true }),
      ),
    );
  await copyTypes(sdk, ['src', 'packages/sdk']);
  await copyTypes(cdk, ['src', 'lib', 'packages/cdk']);
  await rm(types, { recursive: true, force: true });
  return [
    { name: '@nimbus-mq/sdk', dir: sdk },
    { name: '@nimbus-mq/broker', dir: broker },
    { name: '@nimbus-mq/cdk', dir: cdk },
  ];
}

if (import.meta.main) {
  for (const { name, dir } of await buildPackages()) console.log(`${name.padEnd(18)} ${path.relative(ROOT, dir)}`);
}
