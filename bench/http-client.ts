import net from 'node:net';

interface Response {
  status: number;
  body: string;
}

/**
 * One keep-alive HTTP/1.1 connection, one request at a time. It speaks only what the
 * broker answers (a `content-length` body on every response), which keeps the client's own
 * cost per request far below node:http's: on this 2-core machine the client shares the CPU
 * with the server, so a heavy client would be measured as a slow broker.
 */
class Connection {
  private readonly socket: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { resolve: (response: Response) => void; reject: (error: Error) => void } | undefined;
  broken = false;

  constructor(host: string, port: number) {
    this.socket = net.connect(port, host);
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    const fail = (error: Error) => {
      this.broken = true;
      this.pending?.reject(error);
      this.pending = undefined;
    };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail(new Error('connection closed')));
  }

  send(head: string, payload: Buffer | undefined): Promise<Response> {
    if (this.broken) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(payload ? Buffer.concat([Buffer.from(head, 'latin1'), payload]) : head);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private parse(): void {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffer.length < end + 4 + length) return;
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve({ status: Number(head.slice(9, 12)), body });
  }
}

/** A lean keep-alive JSON client for load generation: one connection per request in flight. */
export class BenchClient {
  private readonly host: string;
  private readonly port: number;
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();

  constructor(endpoint: string) {
    const url = new URL(endpoint);
    this.host = url.hostname;
    this.port = Number(url.port);
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    const head =
      `${method} ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n` +
      (payload ? `content-type: application/json\r\ncontent-length: ${payload.byteLength}\r\n\r\n` : '\r\n');
    // The server may have closed an idle connection (keep-alive timeout): those are dropped.
    let connection = this.idle.pop();
    while (connection?.broken) {
      this.all.delete(connection);
      connection = this.idle.pop();
    }
    connection ??= this.open();
    try {
      const { status, body: text } = await connection.send(head, payload);
      if (status >= 400) throw new Error(`${method} ${path} -> ${status} ${text.slice(0, 300)}`);
      return { status, json: (text ? JSON.parse(text) : undefined) as T };
    } finally {
      if (connection.broken) this.all.delete(connection);
      else this.idle.push(connection);
    }
  }

  close(): void {
    for (const connection of this.all) connection.close();
    this.all.clear();
    this.idle.length = 0;
  }

  private open(): Connection {
    const connection = new Connection(this.host, this.port);
    this.all.add(connection);
    return connection;
  }
}

/** Runs `task` with `inFlight` concurrent workers until `total` tasks are done. */
export async function runConcurrent(total: number, inFlight: number, task: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, worker));
}
