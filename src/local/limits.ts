import type { Server } from 'node:net';
import { errorResponse } from '../api/error-status.ts';
import type { ApiRequest, ApiResponse } from '../api/http.ts';
import { ROUTES } from '../api/routes.ts';
import type { MatchedRoute } from './route-match.ts';

/** Caps that keep one client, or many, from exhausting the embedded server's memory. */
export interface ServerLimits {
  /** Open TCP connections; more are answered 503 and closed. */
  maxConnections: number;
  /** Receives waiting for messages (waitMs > 0) in total; more answer 503 SERVER_BUSY. */
  maxLongPolls: number;
  /** Receives waiting for messages from one client address; more answer 429 TOO_MANY_REQUESTS. */
  maxLongPollsPerClient: number;
  /** Bytes of request bodies still arriving, over all connections; more answer 503 SERVER_BUSY. */
  maxPendingBodyBytes: number;
  /** Longest time from a request's headers to the end of its body; then 408 REQUEST_TIMEOUT. */
  bodyTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = {
  maxConnections: 2048,
  maxLongPolls: 1024,
  maxLongPollsPerClient: 256,
  maxPendingBodyBytes: 64 * 1024 * 1024,
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

/**
 * Caps long-polls (receives with `waitMs` > 0) per client address and in total: each holds
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
  if (
    request.body === undefined ||
    matchRoute(request.method, request.path)?.operationId !== ROUTES.receive.operationId
  )
    return false;
  try {
    const waitMs = (JSON.parse(request.body) as { waitMs?: unknown } | null)?.waitMs;
    return typeof waitMs === 'number' && waitMs > 0;
  } catch {
    return false;
  }
}

const CONNECTION_REFUSED_BODY = JSON.stringify({
  code: 'SERVER_BUSY',
  message: 'Too many open connections; retry later.',
  requestId: 'none',
});

/**
 * Caps open connections. Past the cap a plain-HTTP connection gets a 503 with `retry-after`
 * and is closed before any of its bytes are read; a TLS one is closed (no handshake yet to
 * answer through).
 * @example
 * limitConnections(server, 2048, { tls: false, onRefused: (open) => console.error(`${open} open`) });
 */
export function limitConnections(
  server: Server,
  max: number,
  options: { tls: boolean; onRefused?: (open: number) => void },
): void {
  let open = 0;
  // Before node:http's own listener, so a refused connection is answered before it is parsed.
  server.prependListener('connection', (socket) => {
    if (open >= max) {
      options.onRefused?.(open);
      if (options.tls) {
        socket.destroy();
        return;
      }
      socket.pause();
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\n' +
          `retry-after: ${RETRY_AFTER_SECONDS}\r\nconnection: close\r\n` +
          `content-length: ${Buffer.byteLength(CONNECTION_REFUSED_BODY)}\r\n\r\n${CONNECTION_REFUSED_BODY}`,
      );
      return;
    }
    open++;
    socket.once('close', () => {
      open--;
    });
  });
}
