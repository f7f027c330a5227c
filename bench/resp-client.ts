import net from 'node:net';

/** A RESP reply: simple strings and bulk strings as strings, integers, arrays, null. */
export type RespValue = string | number | null | RespValue[];

/** Thrown for a `-ERR ...` reply, so a failed command never passes for a result. */
export class RespError extends Error {}

interface Pending {
  resolve: (value: RespValue) => void;
  reject: (error: Error) => void;
}

/**
 * A minimal pipelined Redis client over one TCP connection: commands are written as soon
 * as they are issued and replies are matched to them in order, as RESP guarantees. It is
 * the Redis peer's equivalent of bench/http-client.ts: lean enough that the client's own
 * CPU does not count against Redis on a machine where both share two cores.
 */
export class RespConnection {
  private readonly socket: net.Socket;
  private readonly pending: Pending[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    const fail = (error: Error) => {
      this.closed = true;
      for (const waiter of this.pending.splice(0)) waiter.reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('redis connection closed')));
  }

  static open(port: number, host = '127.0.0.1'): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => {
        socket.off('error', reject);
        resolve(new RespConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends one command; resolves with its reply. Many may be outstanding (pipelining). */
  command(...args: (string | number)[]): Promise<RespValue> {
    if (this.closed) return Promise.reject(new Error('redis connection closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encode(args));
    });
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private drain(): void {
    while (this.buffer.length > 0) {
      const parsed = parse(this.buffer, 0);
      if (parsed === undefined) return;
      this.buffer = this.buffer.subarray(parsed.end);
      const waiter = this.pending.shift();
      if (parsed.value instanceof RespError) waiter?.reject(parsed.value);
      else waiter?.resolve(parsed.value);
    }
  }
}

function encode(args: (string | number)[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) {
    const text = String(arg);
    out += `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
  }
  return out;
}

/** Parses one reply at `start`; undefined when the buffer does not hold all of it yet. */
function parse(buffer: Buffer, start: number): { value: RespValue | RespError; end: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', start);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buffer[start] as number);
  const line = buffer.toString('utf8', start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RespError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, at);
        if (item === undefined) return undefined;
        // An error inside EXEC's reply fails the whole transaction for the bench.
        if (item.value instanceof RespError) return { value: item.value, end: item.end };
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}
