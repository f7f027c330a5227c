import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorResponse } from '../api/error-status.ts';
import { type ApiHandler, type ApiResponse, MAX_REQUEST_BYTES } from '../api/http.ts';

/** Bodies past the limit are still read (and dropped) up to this, so the client sees the 413. */
const DRAIN_LIMIT_BYTES = 4 * MAX_REQUEST_BYTES;

/** A node:http request listener over an `ApiHandler`, and the means to end its requests. */
export interface NodeHttpAdapter {
  listener(req: IncomingMessage, res: ServerResponse): void;
  /** Aborts every request in progress: long-polls return at once with what they have. */
  abortAll(): void;
  /** Resolves when no request is in progress. */
  idle(): Promise<void>;
}

/**
 * Adapts node:http to the transport-neutral API, on the fast path: no framework, the
 * body read into one buffer, one write per response. The request's AbortSignal fires when
 * the client disconnects before its response is sent.
 * @example
 * const adapter = createNodeHttpAdapter(createApi(broker).handle);
 * const server = http.createServer(adapter.listener);
 */
export function createNodeHttpAdapter(handle: ApiHandler): NodeHttpAdapter {
  const active = new Set<AbortController>();
  let waiters: (() => void)[] = [];

  const finish = (controller: AbortController) => {
    if (!active.delete(controller) || active.size > 0) return;
    for (const wake of waiters) wake();
    waiters = [];
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const controller = new AbortController();
    active.add(controller);
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
      finish(controller);
    });
    const requestId = randomUUID();
    readBody(req)
      .then((body) => {
        if (body === TOO_LARGE) {
          const response = errorResponse(
            'REQUEST_TOO_LARGE',
            `A request is at most ${MAX_REQUEST_BYTES} bytes.`,
            requestId,
          );
          // The rest of an oversized body may still be on its way: do not reuse this connection.
          response.headers['connection'] = 'close';
          return response;
        }
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        return handle({
          method: req.method ?? 'GET',
          path: q === -1 ? url : url.slice(0, q),
          query: q === -1 ? {} : Object.fromEntries(new URLSearchParams(url.slice(q + 1))),
          headers: flattenHeaders(req.headers),
          body,
          requestId,
          signal: controller.signal,
        });
      })
      .then(
        (response) => write(res, response),
        () => res.destroy(),
      );
  };

  return {
    listener,
    abortAll: () => {
      for (const controller of active) controller.abort();
    },
    idle: () => (active.size === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
  };
}

const TOO_LARGE = Symbol('too large');

/**
 * Reads the whole body. Past the limit it keeps draining without storing, so the client
 * gets its 413 instead of a reset; past the drain limit it cuts the connection.
 */
function readBody(req: IncomingMessage): Promise<string | undefined | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > DRAIN_LIMIT_BYTES) {
      resolve(TOO_LARGE);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
      else if (size > DRAIN_LIMIT_BYTES) req.destroy();
    });
    req.on('end', () => {
      if (size > MAX_REQUEST_BYTES) resolve(TOO_LARGE);
      else resolve(size === 0 ? undefined : Buffer.concat(chunks, size).toString('utf8'));
    });
    req.on('error', reject);
    // Destroyed past the drain limit: no 'end' will come.
    req.on('close', () => {
      if (!req.complete) resolve(TOO_LARGE);
    });
  });
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

function write(res: ServerResponse, response: ApiResponse): void {
  if (res.destroyed) return;
  const body = Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, { ...response.headers, 'content-length': String(body.byteLength) });
  res.end(body);
}
