import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ConsoleAsset, type ConsoleAssets, contentTypeOf } from './console-files.ts';

const APP_DIR = join(import.meta.dirname, '..');

/**
 * Bundles the console with esbuild into its three static files, in memory. Run from the
 * repository, the embedded broker calls it on the first request for `/console` (about a
 * second on a busy two-core machine, once per process); `scripts/build-console.ts` and the
 * package build call it to write the files that the installed broker and the Lambda serve.
 * esbuild is loaded only here, so a broker nobody opens the console of never loads it.
 * @example
 * const assets = await bundleConsole();
 * assets.get('app.js')?.body.byteLength;
 */
export async function bundleConsole(): Promise<ConsoleAssets> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [
      { in: join(APP_DIR, 'main.ts'), out: 'app' },
      { in: join(APP_DIR, 'styles.css'), out: 'app' },
    ],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    write: false,
    outdir: '/console',
  });
  const assets = new Map<string, ConsoleAsset>();
  for (const file of result.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf('/') + 1);
    assets.set(name, { contentType: contentTypeOf(name), body: file.contents });
  }
  const html = await readFile(join(APP_DIR, 'index.html'));
  assets.set('index.html', { contentType: contentTypeOf('index.html'), body: html });
  return assets;
}
