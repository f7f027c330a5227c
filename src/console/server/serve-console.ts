import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { type ConsoleAssets, readConsoleFiles } from './console-files.ts';
import { consoleReply, isConsolePath } from './console-response.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Where the installed broker package keeps the console it was built with: `console/`
 * beside its one bundled file (`dist/cli.js`). Run from the repository this folder does
 * not exist, and the console is bundled from its sources instead.
 */
const PREBUILT_DIR = join(import.meta.dirname, 'console');

/**
 * The console as built ahead of time when there is such a build, else bundled in memory
 * from the sources (esbuild is loaded only then; the installed package has neither).
 * @example
 * const assets = await prebuiltOrBundledConsole();
 */
export async function prebuiltOrBundledConsole(): Promise<ConsoleAssets> {
  const prebuilt = await readConsoleFiles(PREBUILT_DIR);
  if (prebuilt) return prebuilt;
  const { bundleConsole } = await import('./bundle-console.ts');
  return bundleConsole();
}

/**
 * Serves the web console at `/console/` in front of the API listener. Its files are
 * public (they hold no data); every call the page makes goes through the API and its
 * authentication. The files are loaded on the first request and kept for the process.
 * @example
 * const server = http.createServer(withConsole(adapter.listener));
 */
export function withConsole(api: Listener, load: () => Promise<ConsoleAssets> = prebuiltOrBundledConsole): Listener {
  let assets: Promise<ConsoleAssets> | undefined;
  const loadOnce = () => {
    // A failed load is not kept: the next request tries again.
    assets ??= load().catch((error: unknown) => {
      assets = undefined;
      throw error;
    });
    return assets;
  };
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (!isConsolePath(path)) return api(req, res);
    const method = req.method ?? 'GET';
    void consoleReply(method, path, loadOnce).then((reply) => {
      const body = reply.body === undefined ? undefined : Buffer.from(reply.body);
      res.writeHead(reply.status, {
        ...reply.headers,
        ...(body === undefined ? {} : { 'content-length': body.byteLength }),
      });
      res.end(method === 'HEAD' ? undefined : body);
    });
  };
}
