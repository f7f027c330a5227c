import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export interface SdkSize {
  /** What an app's bundler adds for the whole SDK entry, minified. */
  minifiedBytes: number;
  gzippedBytes: number;
  /** Packages the entry imports at run time (the SDK promises none). */
  imports: string[];
}

/**
 * The size of `@nimbus-mq/sdk`'s main entry (packages/sdk/index.ts, which re-exports
 * src/sdk) as a browser app's bundler ships it: everything in, minified, then gzipped.
 * @example
 * const { minifiedBytes, gzippedBytes } = await measureSdkSize();
 */
export async function measureSdkSize(root = path.resolve(import.meta.dirname, '..')): Promise<SdkSize> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['packages/sdk/index.ts'],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    metafile: true,
    // Anything that is not a relative path stays out and shows up in `imports`.
    packages: 'external',
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no SDK bundle');
  const imports = Object.values(result.metafile.outputs).flatMap((meta) => meta.imports.map((i) => i.path));
  return {
    minifiedBytes: output.contents.byteLength,
    gzippedBytes: gzipSync(output.contents, { level: 9 }).byteLength,
    imports: [...new Set(imports)],
  };
}

if (import.meta.main) {
  const size = await measureSdkSize();
  console.log(
    `SDK: ${(size.minifiedBytes / 1024).toFixed(1)} KiB minified, ${(size.gzippedBytes / 1024).toFixed(1)} KiB gzipped, imports: ${size.imports.join(', ') || 'none'}`,
  );
}
