import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  Client,
  ConflictError,
  errorFromResponse,
  InternalServerError,
  NetworkError,
  NimbusApiError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedError,
  ValidationError,
} from '../../src/sdk/index.ts';

function body(code: string): string {
  return JSON.stringify({ code, message: `${code} happened`, requestId: 'r-1' });
}

describe('SDK errors', () => {
  it('maps error responses to typed errors by status, keeping code, request id and retryability', () => {
    const cases: [number, string, new (...args: never[]) => NimbusApiError, boolean][] = [
      [400, 'INVALID_TAG', ValidationError, false],
      [404, 'TOPIC_NOT_FOUND', NotFoundError, false],
      [405, 'METHOD_NOT_ALLOWED', ValidationError, false],
      [409, 'RECEIPT_HANDLE_EXPIRED', ConflictError, false],
      [413, 'BODY_TOO_LARGE', PayloadTooLargeError, false],
      [415, 'UNSUPPORTED_MEDIA_TYPE', ValidationError, false],
      [422, 'MESSAGE_TYPE_NOT_SUPPORTED', UnsupportedError, false],
      [500, 'INTERNAL', InternalServerError, false],
      [503, 'STORE_THROTTLED', ServiceUnavailableError, true],
    ];
    for (const [status, code, type, retryable] of cases) {
      const error = errorFromResponse(status, body(code), undefined);
      expect(error, code).toBeInstanceOf(type);
      expect(error).toBeInstanceOf(NimbusApiError);
      expect(error).toMatchObject({ code, status, requestId: 'r-1', retryable, message: `${code} happened` });
      expect(error.name).toBe(type.name);
    }
    expect(errorFromResponse(413, body('BODY_TOO_LARGE'), undefined)).toBeInstanceOf(ValidationError);
  });

  it('reports non-JSON error pages as UNEXPECTED_RESPONSE, retryable for gateway errors', () => {
    const gateway = errorFromResponse(502, '<html>Bad Gateway</html>', 'edge-7');
    expect(gateway).toMatchObject({ code: 'UNEXPECTED_RESPONSE', status: 502, requestId: 'edge-7', retryable: true });
    expect(errorFromResponse(400, 'nope', undefined)).toMatchObject({ code: 'UNEXPECTED_RESPONSE', retryable: false });
  });

  it('wraps a refused connection in a retryable NetworkError', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const client = new Client({ endpoint: `http://127.0.0.1:${port}` });
    const error = await client.listTopics().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', status: 0, retryable: true });
    expect((error as Error).cause).toBeDefined();
    // fetch's own message says only "fetch failed": the system error code tells people why.
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it("surfaces the caller's own abort as an AbortError, not a NetworkError", async () => {
    const server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new Client({ endpoint: `http://127.0.0.1:${port}` });
    const abort = new AbortController();
    const pending = client.listTopics({ signal: abort.signal });
    abort.abort();
    const error = await pending.catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(NimbusApiError);
    expect((error as Error).name).toBe('AbortError');
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
});
