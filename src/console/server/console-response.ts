import type { ConsoleAssets } from './console-files.ts';

/**
 * The page may load its own files and call its own origin, nothing else: no CDN, no
 * inline script, and no framing (clickjacking of the delete and redrive buttons).
 */
export const CONSOLE_SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
} as const;

/** What to answer a request for a console path, whatever carries it (Node's HTTP server or a Lambda). */
export interface ConsoleReply {
  status: number;
  headers: Record<string, string>;
  body?: Uint8Array | string;
}

const TEXT = 'text/plain; charset=utf-8';

/** True for the paths the console owns: `/console` and everything under `/console/`. */
export function isConsolePath(path: string): boolean {
  return path === '/console' || path.startsWith('/console/');
}

/**
 * Answers one request for a console path from the built files. Files are looked up by
 * name in `assets`, never on disk, so no path (encoded or not) reaches another file.
 * `load` is called only for a file request, and its failure is a 500 naming the cause.
 * @example
 * const reply = await consoleReply('GET', '/console/app.js', () => readConsoleFiles(dir));
 * reply.status; // 200
 */
export async function consoleReply(
  method: string,
  path: string,
  load: () => Promise<ConsoleAssets>,
): Promise<ConsoleReply> {
  if (method !== 'GET' && method !== 'HEAD') {
    return {
      status: 405,
      headers: { allow: 'GET, HEAD', 'content-type': TEXT },
      body: 'The console is read with GET.\n',
    };
  }
  // Relative asset URLs resolve against the directory, so the page lives at /console/.
  if (path === '/console') return { status: 308, headers: { location: '/console/' } };
  let assets: ConsoleAssets;
  try {
    assets = await load();
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    return { status: 500, headers: { 'content-type': TEXT }, body: `The console could not be loaded: ${cause}\n` };
  }
  const name = path === '/console/' ? 'index.html' : path.slice('/console/'.length);
  const file = assets.get(name);
  if (file === undefined) return { status: 404, headers: { 'content-type': TEXT }, body: 'No such console file.\n' };
  return { status: 200, headers: { ...CONSOLE_SECURITY_HEADERS, 'content-type': file.contentType }, body: file.body };
}
