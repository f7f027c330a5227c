import { networkInterfaces } from 'node:os';
import { errorResponse } from '../api/error-status.ts';
import type { ApiHandler } from '../api/http.ts';

/** Names every embedded server answers to, whatever it is bound to. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '[::]']);

/**
 * The host names (without port) a server bound to `host` answers for: the bound address,
 * loopback names, and `extra`. A server bound to every interface also answers for the
 * addresses of this machine's interfaces (IP literals cannot be rebound by DNS).
 * @example
 * allowedHostNames('127.0.0.1', ['broker.internal']); // Set { 'localhost', '127.0.0.1', '[::1]', 'broker.internal' }
 */
export function allowedHostNames(host: string, extra: readonly string[] = []): Set<string> {
  const names = new Set([...LOOPBACK_NAMES, bracketed(host.toLowerCase()), ...extra.map((name) => name.toLowerCase())]);
  if (WILDCARD_ADDRESSES.has(host)) {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) names.add(bracketed(address.address.toLowerCase()));
    }
  }
  return names;
}

function bracketed(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/** The host name of a Host header: `example.com:9800` -> `example.com`, `[::1]:9800` -> `[::1]`. */
export function hostName(header: string): string {
  const trimmed = header.trim().toLowerCase();
  if (trimmed.startsWith('[')) {
    const end = trimmed.indexOf(']');
    return end === -1 ? trimmed : trimmed.slice(0, end + 1);
  }
  const colon = trimmed.lastIndexOf(':');
  const name = colon === -1 ? trimmed : trimmed.slice(0, colon);
  // A fully qualified name may end with a dot; it names the same host.
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * Refuses requests whose Host header names a host this server does not answer for, with
 * 421 MISDIRECTED_REQUEST: a page on `attacker.example` whose DNS name was rebound to
 * 127.0.0.1 is same-origin to the browser, and only the Host header tells it apart. A
 * request without a Host header (HTTP/1.0 tools) passes: browsers always send one.
 * @example
 * const handle = withHostCheck(api.handle, allowedHostNames('127.0.0.1'));
 */
export function withHostCheck(handle: ApiHandler, allowed: ReadonlySet<string>): ApiHandler {
  return async (request) => {
    const header = request.headers['host'];
    if (header === undefined || allowed.has(hostName(header))) return handle(request);
    return errorResponse(
      'MISDIRECTED_REQUEST',
      `This broker does not answer for host "${hostName(header).slice(0, 100)}"; start it with --allowed-host to allow a name.`,
      request.requestId,
    );
  };
}
