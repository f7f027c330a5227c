import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { errorResponse } from '../api/error-status.ts';
import type { ApiRequest, ApiResponse } from '../api/http.ts';
import { ROUTES } from '../api/routes.ts';
import type { MatchedRoute } from './route-match.ts';

/** Caps that keep one client, or many, from exhausting the embedded server's memory. */
export interface ServerLimits {
  /** Open TCP connections; at the cap idle keep-alive ones are closed to make room, else 503. */
  maxConnections: number;
  /** Open TCP connections from one client address; more are answered 429 and closed. */
  maxConnectionsPerClient: number;
  /** How long a keep-alive connection may sit idle between requests before the server closes it. */
  keepAliveTimeoutMs: number;
  /** Receives waiting for messages (waitMs > 0) in total; more answer 503 SERVER_BUSY. */
  maxLongPolls: number;
  /** Receives waiting for messages from one client address; more answer 429 TOO_MANY_REQUESTS. */
  maxLongPollsPerClient: number;
  /** Bytes of request bodies still arriving, over all connections; more answer 503 SERVER_BUSY. */
  maxPendingBodyBytes: number;
  /** Bytes of request bodies still arriving from one client address; more answer 429 TOO_MANY_REQUESTS. */
  maxPendingBodyBytesPerClient: number;
  /** Longest time from a request's headers to the end of its body; then 408 REQUEST_TIMEOUT. */
  bodyTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = {
  maxConnections: 2048,
  maxConnectionsPerClient: 256,
  // Clients (undici, the SDK) read the `keep-alive: timeout=5` hint and stop reusing a socket before.
  keepAliveTimeoutMs: 5_000,
  maxLongPolls: 1024,
  maxLongPollsPerClient: 256,
  maxPendingBodyBytes: 64 * 1024 * 1024,
  maxPendingBodyBytesPerClient: 16 * 1024 * 1024,
  bodyTimeoutMs: 10_000,
};

/** Seconds a refused client should wait before trying again. */
export const RETRY_AFTER_SECONDS = '1';

/** The peer of a request, as only the transport knows it. */
export interface Peer {
  address: string;
}

/** Told of every 503 the server's own limits answer, with its request id, for the log. */
export type BusyListener = (requestId: string, message: string) => void;

/** A handler that also sees the peer (the node:http adapter passes it). */
export type PeerHandler = (request: ApiRequest, peer: Peer) => Promise<ApiResponse>;

/** An error response that tells the client to come back later. */
export function busyResponse(code: 'SERVER_BUSY' | 'TOO_MANY_REQUESTS', message: string, requestId: string) {
  const response = errorResponse(code, message, requestId);
  response.headers['retry-after'] = RETRY_AFTER_SECONDS;
  return response;
}

/** Routes that wait for work when asked with `waitMs` > 0: consumers' receives and producers' check-backs. */
const LONG_POLL_ROUTES: ReadonlySet<string> = new Set([ROUTES.receive.operationId, ROUTES.receiveChecks.operationId]);

/**
 * Caps long-polls (receives and check-back receives with `waitMs` > 0) per client address and in total: each holds
 * a connection, a request and a waiter for as long as 20 s. A receive without a wait is
 * never refused, so consumers that poll still get their messages.
 * @example
 * const handle = withLongPollLimits(api.handle, DEFAULT_LIMITS, createRouteMatcher());
 */
export function withLongPollLimits(
  handle: (request: ApiRequest) => Promise<ApiResponse>,
  limits: Pick<ServerLimits, 'maxLongPolls' | 'maxLongPollsPerClient'>,
  matchRoute: (method: string, path: string) => MatchedRoute | undefined,
  onBusy: BusyListener = () => {},
): PeerHandler {
  let total = 0;
  const perClient = new Map<string, number>();
  return async (request, peer) => {
    if (!isLongPoll(request, matchRoute)) return handle(request);
    const mine = perClient.get(peer.address) ?? 0;
    if (mine >= limits.maxLongPollsPerClient) {
      return busyResponse(
        'TOO_MANY_REQUESTS',
        `At most ${limits.maxLongPollsPerClient} receives may wait at once per client; retry later or receive with waitMs 0.`,
        request.requestId,
      );
    }
    if (total >= limits.maxLongPolls) {
      const message = `The broker holds ${limits.maxLongPolls} waiting receives already; retry later.`;
      onBusy(request.requestId, message);
      return busyResponse('SERVER_BUSY', message, request.requestId);
    }
    total++;
    perClient.set(peer.address, mine + 1);
    try {
      return await handle(request);
    } finally {
      total--;
      const left = (perClient.get(peer.address) ?? 1) - 1;
      if (left === 0) perClient.delete(peer.address);
      else perClient.set(peer.address, left);
    }
  };
}

function isLongPoll(
  request: ApiRequest,
  matchRoute: (method: string, path: string) => MatchedRoute | undefined,
): boolean {
  const operationId = matchRoute(request.method, request.path)?.operationId;
  if (request.body === undefined || operationId === undefined || !LONG_POLL_ROUTES.has(operationId)) return false;
  try {
    const waitMs = (JSON.parse(request.body) as { waitMs?: unknown } | null)?.waitMs;
    return typeof waitMs === 'number' && waitMs > 0;
  } catch {
    return false;
  }
}

/** A raw HTTP error answer, sent before any byte of the connection was read. */
function refusal(status: string, code: string, message: string): string {
  const body = JSON.stringify({ code, message, requestId: 'none' });
  return (
    `HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\n` +
    `retry-after: ${RETRY_AFTER_SECONDS}\r\nconnection: close\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

const TOO_MANY_CONNECTIONS = refusal(
  '503 Service Unavailable',
  'SERVER_BUSY',
  'Too many open connections; retry later.',
);
const TOO_MANY_FROM_CLIENT = refusal(
  '429 Too Many Requests',
  'TOO_MANY_REQUESTS',
  'Too many open connections from this client; retry later.',
);

/**
 * Caps open connections, in total and per client address. At the total cap the server first
 * closes its idle keep-alive connections (between requests), so parked connections cannot
 * lock clients out; only if none was idle is the new one refused. (Connections that send
 * nothing are cut by the headers timeout, silent TLS ones by the handshake timeout.) A refused plain-HTTP connection gets a 503 (or 429 past the per-client cap) with
 * `retry-after` and is closed before any of its bytes are read; a TLS one is closed (no
 * handshake yet to answer through).
 * @example
 * limitConnections(server, { maxConnections: 2048, maxConnectionsPerClient: 256 }, { tls: false });
 */
export function limitConnections(
  server: Server,
  limits: Pick<ServerLimits, 'maxConnections' | 'maxConnectionsPerClient'>,
  options: { tls: boolean; onRefused?: (open: number) => void },
): void {
  /** Each open connection with its client address (a destroyed socket no longer knows it). */
  const open = new Map<Socket, string>();
  const perClient = new Map<string, number>();
  const release = (socket: Socket) => {
    const address = open.get(socket);
    if (address === undefined) return;
    open.delete(socket);
    const left = (perClient.get(address) ?? 1) - 1;
    if (left === 0) perClient.delete(address);
    else perClient.set(address, left);
  };
  const refuse = (socket: Socket, answer: string) => {
    if (options.tls) {
      socket.destroy();
      return;
    }
    socket.pause();
    socket.end(answer);
  };
  // Before node:http's own listener, so a refused connection is answered before it is parsed.
  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const mine = perClient.get(address) ?? 0;
    if (mine >= limits.maxConnectionsPerClient) {
      options.onRefused?.(open.size);
      refuse(socket, TOO_MANY_FROM_CLIENT);
      return;
    }
    if (open.size >= limits.maxConnections) {
      // Destroys idle connections at once; their 'close' events come later, so count them now.
      server.closeIdleConnections();
      for (const held of [...open.keys()]) if (held.destroyed) release(held);
    }
    if (open.size >= limits.maxConnections) {
      options.onRefused?.(open.size);
      refuse(socket, TOO_MANY_CONNECTIONS);
      return;
    }
    open.set(socket, address);
    perClient.set(address, mine + 1);
    socket.once('close', () => release(socket));
  });
}
