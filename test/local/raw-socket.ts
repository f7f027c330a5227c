import { connect, type Socket } from 'node:net';

/** A plain TCP connection to a server URL, from a chosen loopback address (another "client"). */
export function openSocket(url: string, localAddress?: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });
}

export interface SocketResponse {
  status: number;
  head: string;
  body: string;
  /** True when the server closed the connection after (or instead of) answering. */
  closed: boolean;
}

/** Everything the server sends until a whole response arrived and/or it closed the connection. */
export function readResponse(socket: Socket, timeoutMs = 10_000): Promise<SocketResponse> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error(`no response within ${timeoutMs} ms: ${data}`)), timeoutMs);
    const parse = (closed: boolean) => {
      const text = data.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) {
        if (closed) done({ status: 0, head: '', body: text, closed });
        return;
      }
      const head = text.slice(0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (!closed && data.length < end + 4 + length) return;
      done({ status: Number(head.slice(9, 12)), head, body: text.slice(end + 4, end + 4 + length), closed });
    };
    const done = (response: SocketResponse) => {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(response);
    };
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      parse(false);
    };
    socket.on('data', onData);
    socket.once('close', () => parse(true));
    socket.once('error', () => parse(true));
  });
}

/** Resolves once the server has closed this connection. */
export function closedBy(socket: Socket, timeoutMs = 10_000): Promise<void> {
  if (socket.destroyed || socket.readableEnded) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
    socket.resume();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A request head for a JSON body of `length` bytes, sent on its own. */
export function jsonHead(method: string, path: string, length: number): string {
  return `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
}
