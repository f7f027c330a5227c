import http from 'node:http';

/**
 * A lean keep-alive JSON client for load generation: the benchmark measures the broker,
 * so the client side stays as cheap as node:http allows.
 */
export class BenchClient {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(endpoint: string, maxSockets = 128) {
    const url = new URL(endpoint);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  request<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : undefined,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 400) reject(new Error(`${method} ${path} -> ${status} ${text.slice(0, 300)}`));
            else resolve({ status, json: (text ? JSON.parse(text) : undefined) as T });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
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
