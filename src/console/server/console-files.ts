import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One file of the built console, as it is served and deployed. */
export interface ConsoleAsset {
  contentType: string;
  body: Uint8Array;
}

/** The console's static files by name (`index.html`, `app.js`, `app.css`). */
export type ConsoleAssets = ReadonlyMap<string, ConsoleAsset>;

/** Every file of a built console: a folder missing one of them is not a console. */
export const CONSOLE_FILE_NAMES = ['index.html', 'app.js', 'app.css'] as const;

/** The content type a console file is served with, by its extension. */
export function contentTypeOf(name: string): string {
  if (name.endsWith('.js')) return 'text/javascript; charset=utf-8';
  if (name.endsWith('.css')) return 'text/css; charset=utf-8';
  return 'text/html; charset=utf-8';
}

/**
 * Reads a console built ahead of time (by `scripts/build-console.ts` or the package
 * build) from a folder, or answers undefined when the folder does not hold one, so the
 * caller can fall back to bundling the sources.
 * @example
 * const assets = await readConsoleFiles(new URL('console/', import.meta.url).pathname);
 */
export async function readConsoleFiles(dir: string): Promise<ConsoleAssets | undefined> {
  const assets = new Map<string, ConsoleAsset>();
  for (const name of CONSOLE_FILE_NAMES) {
    try {
      assets.set(name, { contentType: contentTypeOf(name), body: await readFile(join(dir, name)) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
  return assets;
}

/**
 * Writes the console's files into a folder (created if missing) and returns their paths.
 * @example
 * await writeConsoleFiles('dist/console', await bundleConsole());
 */
export async function writeConsoleFiles(dir: string, assets: ConsoleAssets): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, asset] of assets) {
    await writeFile(join(dir, name), asset.body);
    written.push(join(dir, name));
  }
  return written;
}
