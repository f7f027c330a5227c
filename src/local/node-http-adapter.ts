import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorResponse } from '../api/error-status.ts';
import { type ApiResponse, MAX_REQUEST_BYTES } from '../api/http.ts';
import { type BusyListener, busyResponse, DEFAULT_LIMITS, type PeerHandler, type ServerLimits } from './limits.ts';

/** Bodies past the limit are still read (and dropped) up to this, so the client sees the 413. */
const DRAIN_LIMIT_BYTES = 4 * MAX_REQUEST_BYTES;

/** A node:http request listener over an API handler, and the means to end its requests. */
export interface NodeHttpAdapter {
  listener(req: IncomingMessage, res: ServerResponse): void;
  /** Aborts every request in progress: long-polls return at once with what they have. */
  abortAll(): void;
  /** Resolves when no request is in progress. */
  idle(): Promise<void>;
  /** Bytes of request bodies received and not yet complete, over all connections. */
  pendingBodyBytes(): number;
}

export type BodyLimits = Pick<ServerLimits, 'maxPendingBodyBytes' | 'bodyTimeoutMs'>;

/**
 * Adapts node:http to the transport-neutral API, on the fast path: no framework, the
 * body read into one buffer, one write per response. The request's AbortSignal fires when
 * the client disconnects before its response is sent. Bodies still arriving share one
 * byte budget and must be complete within `bodyTimeoutMs`, so slow or unfinished uploads
 * cannot pile up memory.
 * @example
 * const adapter = createNodeHttpAdapter(createApi(broker).handle);
 * const server = http.createServer(adapter.listener);
 */
export function createNodeHttpAdapter(
  handle: PeerHandler,
  limits: BodyLimits = DEFAULT_LIMITS,
  onBusy: BusyListener = () => {},
): NodeHttpAdapter {
  const active = new Set<AbortController>();
  let waiters: (() => void)[] = [];
  const budget = { pending: 0, max: limits.maxPendingBodyBytes };

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
    readBody(req, budget, limits.bodyTimeoutMs)
      .then((body) => {
        if (typeof body === 'symbol') {
          const response = refusedBody(body, requestId, limits.bodyTimeoutMs);
          if (response.status === 503) onBusy(requestId, 'The shared budget of unfinished request bodies is spent.');
          // The rest of the body may still be on its way: do not reuse this connection.
          response.headers['connection'] = 'close';
          return response;
        }
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        return handle(
          {
            method: req.method ?? 'GET',
            path: q === -1 ? url : url.slice(0, q),
            query: q === -1 ? {} : firstValues(new URLSearchParams(url.slice(q + 1))),
            headers: flattenHeaders(req.headers),
            body,
            requestId,
            signal: controller.signal,
          },
          { address: req.socket.remoteAddress ?? 'unknown' },
        );
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
    pendingBodyBytes: () => budget.pending,
  };
}

const TOO_LARGE = Symbol('too large');
const OVER_BUDGET = Symbol('over budget');
const TIMED_OUT = Symbol('timed out');
type Refusal = typeof TOO_LARGE | typeof OVER_BUDGET | typeof TIMED_OUT;

function refusedBody(refusal: Refusal, requestId: string, timeoutMs: number): ApiResponse {
  switch (refusal) {
    case TOO_LARGE:
      return errorResponse('REQUEST_TOO_LARGE', `A request is at most ${MAX_REQUEST_BYTES} bytes.`, requestId);
    case OVER_BUDGET:
      return busyResponse('SERVER_BUSY', 'The broker is receiving too many request bodies; retry later.', requestId);
    case TIMED_OUT:
      return errorResponse('REQUEST_TIMEOUT', `A request body must arrive within ${timeoutMs} ms.`, requestId);
  }
}

/**
 * Reads the whole body. Past the size limit it keeps draining without storing, so the
 * client gets its 413 instead of a reset; past the drain limit it cuts the connection.
 * The bytes held count against the shared budget until the body is complete or refused.
 */
function readBody(
  req: IncomingMessage,
  budget: { pending: number; max: number },
  timeoutMs: number,
): Promise<string | undefined | Refusal> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > DRAIN_LIMIT_BYTES) {
      resolve(TOO_LARGE);
      return;
    }
    let chunks: Buffer[] = [];
    let size = 0;
    let held = 0;
    let settled = false;
    const settle = (result: string | undefined | Refusal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      budget.pending -= held;
      held = 0;
      chunks = [];
      resolve(result);
    };
    /** Refused mid-body: answer now and stop reading; the response closes the connection. */
    const refuse = (refusal: Refusal) => {
      req.removeAllListeners('data');
      req.on('data', () => {});
      settle(refusal);
    };
    const timer = setTimeout(() => refuse(TIMED_OUT), timeoutMs);
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_REQUEST_BYTES) {
        // Oversized: drop what was kept; the rest is drained without being held.
        budget.pending -= held;
        held = 0;
        chunks = [];
        if (size > DRAIN_LIMIT_BYTES) req.destroy();
        return;
      }
      if (budget.pending + chunk.byteLength > budget.max) {
        refuse(OVER_BUDGET);
        return;
      }
      chunks.push(chunk);
      held += chunk.byteLength;
      budget.pending += chunk.byteLength;
    });
    req.on('end', () => {
      if (size > MAX_REQUEST_BYTES) settle(TOO_LARGE);
      else settle(size === 0 ? undefined : Buffer.concat(chunks, size).toString('utf8'));
    });
    req.on('error', (error) => {
      if (settled) return;
      settle(undefined);
      reject(error);
    });
    // Destroyed past the drain limit or by the client: no 'end' will come.
    req.on('close', () => {
      if (!req.complete) settle(TOO_LARGE);
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

/** A parameter given twice counts with its first value, as the Lambda adapter reads API Gateway's events. */
function firstValues(params: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of params) if (!(name in query)) query[name] = value;
  return query;
}
