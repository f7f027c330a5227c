import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, errorResponse, responseForError } from '../../src/api/error-status.ts';
import { ERROR_CODES, NimbusError } from '../../src/core/errors.ts';

describe('error status table', () => {
  it('maps every error code, client errors to 4xx, store trouble to 503 and only INTERNAL to 500', () => {
    expect(Object.keys(ERROR_STATUS).sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) {
      const status = ERROR_STATUS[code];
      if (code === 'INTERNAL') expect(status).toBe(500);
      else if (code.startsWith('STORE_') || code === 'SERVER_BUSY') expect(status).toBe(503);
      else expect(status, code).toBeGreaterThanOrEqual(400);
      if (code !== 'INTERNAL' && !code.startsWith('STORE_') && code !== 'SERVER_BUSY')
        expect(status, code).toBeLessThan(500);
    }
    expect(ERROR_STATUS.INVALID_REQUEST).toBe(400);
    expect(ERROR_STATUS.TOPIC_NOT_FOUND).toBe(404);
    expect(ERROR_STATUS.TOPIC_CONFLICT).toBe(409);
    expect(ERROR_STATUS.BODY_TOO_LARGE).toBe(413);
    expect(ERROR_STATUS.REQUEST_TOO_LARGE).toBe(413);
    expect(ERROR_STATUS.MESSAGE_TYPE_NOT_SUPPORTED).toBe(422);
    expect(ERROR_STATUS.ROUTE_NOT_FOUND).toBe(404);
    expect(ERROR_STATUS.METHOD_NOT_ALLOWED).toBe(405);
    expect(ERROR_STATUS.UNSUPPORTED_MEDIA_TYPE).toBe(415);
  });

  it('answers { code, message, requestId } with the request id header', () => {
    const response = errorResponse('TOPIC_NOT_FOUND', 'Topic "x" does not exist.', 'req-1');
    expect(response.status).toBe(404);
    expect(response.headers['x-request-id']).toBe('req-1');
    expect(JSON.parse(response.body)).toEqual({
      code: 'TOPIC_NOT_FOUND',
      message: 'Topic "x" does not exist.',
      requestId: 'req-1',
    });
  });

  it('keeps broker error codes, asks for a retry later on store trouble, and hides unknown failures', () => {
    const logged: unknown[] = [];
    const logger = { error: (message: string, details?: Record<string, unknown>) => logged.push({ message, details }) };
    expect(responseForError(new NimbusError('INVALID_TAG', 'bad tag'), 'r1', logger).status).toBe(400);
    const throttled = responseForError(new NimbusError('STORE_THROTTLED', 'slow down'), 'r2', logger);
    expect(throttled.status).toBe(503);
    expect(throttled.headers['retry-after']).toBe('1');
    expect(logged).toEqual([]);

    const internal = responseForError(new Error('disk on fire at /var/secret'), 'r3', logger);
    expect(internal.status).toBe(500);
    const body = JSON.parse(internal.body) as { code: string; message: string };
    expect(body.code).toBe('INTERNAL');
    expect(body.message).not.toContain('secret');
    expect(logged).toEqual([{ message: 'unhandled error', details: { requestId: 'r3', error: expect.any(Error) } }]);
  });
});
