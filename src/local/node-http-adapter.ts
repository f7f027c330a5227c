import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorResponse } from '../api/error-status.ts';
import { type ApiRequest, type ApiResponse, MAX_REQUEST_BYTES } from '../api/http.ts';
import type { HeaderGate } from './header-gate.ts';
import {
  type BusyListener,
  busyResponse,
  DEFAULT_LIMITS,
  type Peer,
  type PeerHandler,
  type ServerLimits,
} from './limits.ts';

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

export type BodyLimits = Pick<ServerLimits, 'maxPendingBodyBytes' | 'maxPendingBodyBytesPerClient' | 'bodyTimeoutMs'>;

/**
 * Most pieces (`data` events: chunks of a chunked body, or TCP reads) one body may arrive
 * in. Each costs a Buffer and an event however small it is: a body of one-byte chunks would
 * otherwise cost a hundred times its size in time and garbage.
 */
export const MAX_BODY_PIECES = 65_536;

/** Bytes of body buffer first set aside for a request, before it grows by doubling. */
const INITIAL_BODY_BYTES = 16 * 1024;

/** Bytes of bodies still arriving, in total and per client address. */
interface BodyBudget {
  pending: number;
  perClient: Map<string, number>;
}

/**
 * Adapts node:http to the transport-neutral API, on the fast path: no framework, the
 * body read into one buffer, one write per response. Before any byte of the body is read,
 * `beforeBody` judges the headers (Host, CORS, token): a refused request is answered at
 * once and its connection closed, so unauthenticated clients cannot make the server buffer
 * anything. The request's AbortSignal fires when the client disconnects before its
 * response is sent. Bodies still arriving share one byte budget, of which each client
 * address may take a share, and must be complete within `bodyTimeoutMs`, so slow or
 * unfinished uploads cannot pile up memory.
 * @example
 * const adapter = createNodeHttpAdapter(createApi(broker).handle);
 * const server = http.createServer(adapter.listener);
 */
export function createNodeHttpAdapter(
  handle: PeerHandler,
  limits: BodyLimits = DEFAULT_LIMITS,
  onBusy: BusyListener = () => {},
  beforeBody: HeaderGate = async () => undefined,
): NodeHttpAdapter {
  const active = new Set<AbortController>();
  let waiters: (() => void)[] = [];
  const budget: BodyBudget = { pending: 0, perClient: new Map() };

  const finish = (controller: AbortController) => {
    if (!active.delete(controller) || active.size > 0) return;
    for (const wake of waiters) wake();
    waiters = [];
  };

  const respond = async (req: IncomingMessage, request: ApiRequest, peer: Peer): Promise<ApiResponse> => {
    const refused = await beforeBody(request);
    if (refused !== undefined) {
      // The body was not read and will not be: do not reuse this connection.
      if (announcesBody(req)) refused.headers['connection'] = 'close';
      return refused;
    }
    const body = await readBody(req, budget, peer.address, limits);
    if (typeof body === 'symbol') {
      const response = refusedBody(body, request.requestId, limits);
      if (response.status === 503) {
        onBusy(request.requestId, 'The shared budget of unfinished request bodies is spent.');
      }
      // The rest of the body may still be on its way: do not reuse this connection.
      response.headers['connection'] = 'close';
      return response;
    }
    return handle({ ...request, body }, peer);
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const controller = new AbortController();
    active.add(controller);
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
      finish(controller);
    });
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const request: ApiRequest = {
      method: req.method ?? 'GET',
      path: q === -1 ? url : url.slice(0, q),
      query: q === -1 ? {} : firstValues(new URLSearchParams(url.slice(q + 1))),
      headers: flattenHeaders(req.headers),
      body: undefined,
      requestId: randomUUID(),
      signal: controller.signal,
    };
    respond(req, request, { address: req.socket.remoteAddress ?? 'unknown' }).then(
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

/** A request that says a body follows (a length above 0, or chunked). */
function announcesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length.trim() !== '0');
}

const TOO_LARGE = Symbol('too large');
const TOO_MANY_PIECES = Symbol('too many pieces');
const OVER_BUDGET = Symbol('over budget');
const CLIENT_OVER_BUDGET = Symbol('client over budget');
const TIMED_OUT = Symbol('timed out');
type Refusal =
  | typeof TOO_LARGE
  | typeof TOO_MANY_PIECES
  | typeof OVER_BUDGET
  | typeof CLIENT_OVER_BUDGET
  | typeof TIMED_OUT;

function refusedBody(refusal: Refusal, requestId: string, limits: BodyLimits): ApiResponse {
  switch (refusal) {
    case TOO_LARGE:
      return errorResponse('REQUEST_TOO_LARGE', `A request is at most ${MAX_REQUEST_BYTES} bytes.`, requestId);
    case TOO_MANY_PIECES:
      return errorResponse(
        'REQUEST_TOO_LARGE',
        `A request body may arrive in at most ${MAX_BODY_PIECES} pieces (chunks or reads).`,
        requestId,
      );
    case OVER_BUDGET:
      return busyResponse('SERVER_BUSY', 'The broker is receiving too many request bodies; retry later.', requestId);
    case CLIENT_OVER_BUDGET:
      return busyResponse(
        'TOO_MANY_REQUESTS',
        `At most ${limits.maxPendingBodyBytesPerClient} bytes of request bodies may be arriving at once per client; retry later.`,
        requestId,
      );
    case TIMED_OUT:
      return errorResponse(
        'REQUEST_TIMEOUT',
        `A request body must arrive within ${limits.bodyTimeoutMs} ms.`,
        requestId,
      );
  }
}

/**
 * Reads the whole body into one buffer that grows by doubling: each piece is copied and
 * dropped, so a body costs about its size whatever pieces it came in. Past the size limit
 * it keeps draining without storing, so the client gets its 413 instead of a reset; past
 * the drain limit, or past `MAX_BODY_PIECES`, it stops. The buffer's bytes count against
 * the shared budget and the client's share of it until the body is complete or refused.
 */
function readBody(
  req: IncomingMessage,
  budget: BodyBudget,
  client: string,
  limits: BodyLimits,
): Promise<string | undefined | Refusal> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > DRAIN_LIMIT_BYTES) {
      resolve(TOO_LARGE);
      return;
    }
    // The buffer never grows past the announced length: a 5 MiB body costs 5 MiB, not 8.
    const announced = Number(req.headers['content-length'] ?? Number.NaN);
    const largest = Number.isSafeInteger(announced) && announced <= MAX_REQUEST_BYTES ? announced : MAX_REQUEST_BYTES;
    let buffer = Buffer.alloc(0);
    let size = 0;
    let pieces = 0;
    let settled = false;
    /** Charges (or, negative, frees) bytes of this body against the budgets. */
    const charge = (bytes: number) => {
      budget.pending += bytes;
      const mine = (budget.perClient.get(client) ?? 0) + bytes;
      if (mine === 0) budget.perClient.delete(client);
      else budget.perClient.set(client, mine);
    };
    const drop = () => {
      charge(-buffer.byteLength);
      buffer = Buffer.alloc(0);
    };
    const settle = (result: string | undefined | Refusal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      drop();
      resolve(result);
    };
    /** Refused mid-body: answer now and stop reading; the response closes the connection. */
    const refuse = (refusal: Refusal) => {
      req.removeAllListeners('data');
      req.on('data', () => {});
      settle(refusal);
    };
    /** Room for `needed` bytes, or the refusal when the budgets cannot afford it. */
    const grow = (needed: number): Refusal | undefined => {
      if (needed <= buffer.byteLength) return undefined;
      const capacity = Math.max(needed, Math.min(largest, Math.max(INITIAL_BODY_BYTES, buffer.byteLength * 2)));
      const extra = capacity - buffer.byteLength;
      if (budget.pending + extra > limits.maxPendingBodyBytes) return OVER_BUDGET;
      if ((budget.perClient.get(client) ?? 0) + extra > limits.maxPendingBodyBytesPerClient) return CLIENT_OVER_BUDGET;
      const larger = Buffer.allocUnsafe(capacity);
      buffer.copy(larger, 0, 0, size);
      charge(extra);
      buffer = larger;
      return undefined;
    };
    const timer = setTimeout(() => refuse(TIMED_OUT), limits.bodyTimeoutMs);
    req.on('data', (chunk: Buffer) => {
      if (++pieces > MAX_BODY_PIECES) {
        refuse(TOO_MANY_PIECES);
        return;
      }
      const end = size + chunk.byteLength;
      if (end > MAX_REQUEST_BYTES) {
        // Oversized: drop what was kept; the rest is drained without being held.
        size = end;
        drop();
        if (size > DRAIN_LIMIT_BYTES) req.destroy();
        return;
      }
      const refusal = grow(end);
      if (refusal !== undefined) {
        refuse(refusal);
        return;
      }
      chunk.copy(buffer, size);
      size = end;
    });
    req.on('end', () => {
      if (size > MAX_REQUEST_BYTES) settle(TOO_LARGE);
      else settle(size === 0 ? undefined : buffer.toString('utf8', 0, size));
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
