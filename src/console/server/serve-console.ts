import type { IncomingMessage, ServerResponse } from 'node:http';
import { bundleConsole, type ConsoleAssets } from './bundle-console.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The page may load its own files and call its own origin, nothing else: no CDN, no
 * inline script, and no framing (clickjacking of the delete and redrive buttons).
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * Serves the web console at `/console/` in front of the API listener. Its files are
 * public (they hold no data); every call the page makes goes through the API and its
 * authentication. The bundle is built on the first request and kept for the process.
 * @example
 * const server = http.createServer(withConsole(adapter.listener));
 */
export function withConsole(api: Listener, bundle: () => Promise<ConsoleAssets> = bundleConsole): Listener {
  let assets: Promise<ConsoleAssets> | undefined;
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path !== '/console' && !path.startsWith('/console/')) return api(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('The console is read with GET.\n');
    }
    if (path === '/console') {
      // Relative asset URLs resolve against the directory, so the page lives at /console/.
      res.writeHead(308, { location: '/console/' });
      return void res.end();
    }
    // A failed build is not kept: the next request tries again.
    assets ??= bundle().catch((error: unknown) => {
      assets = undefined;
      throw error;
    });
    assets.then(
      (files) => {
        const name = path === '/console/' ? 'index.html' : path.slice('/console/'.length);
        const file = files.get(name);
        if (file === undefined) {
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
          return void res.end('No such console file.\n');
        }
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'content-type': file.contentType,
          'content-length': file.body.byteLength,
        });
        res.end(req.method === 'HEAD' ? undefined : file.body);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`The console could not be built: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
  };
}
