import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../src/api/error-status.ts';
import { buildOpenApiDocument } from '../../src/api/openapi.ts';
import type { ErrorCode } from '../../src/core/errors.ts';
import { writeDocument } from './document-file.ts';

const run = promisify(execFile);
const redocly = resolve(import.meta.dirname, '../../node_modules/.bin/redocly');

type Json = Record<string, unknown>;
const document = buildOpenApiDocument() as Json & { paths: Record<string, Record<string, Json>> };
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
);

describe('the OpenAPI document', () => {
  const written = writeDocument();
  afterAll(() => written.remove());

  it("passes Redocly's recommended ruleset without errors or warnings (offline)", async () => {
    const { stdout } = await run(redocly, ['lint', written.file, '--extends=recommended', '--format=json'], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: unknown[] };
    expect(report.problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('gives every operation a unique operationId, a description, and described parameters', () => {
    const ids = operations.map(({ operation }) => operation['operationId']);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['receiveMessages', 'ackMessages', 'nackMessages', 'getHealth']));
    for (const { path, method, operation } of operations) {
      expect(operation['description'], `${method} ${path}`).toEqual(expect.any(String));
      for (const parameter of (operation['parameters'] ?? []) as Json[]) {
        expect(parameter['description'], `${method} ${path} ${parameter['name']}`).toEqual(expect.any(String));
      }
    }
  });

  it('declares servers and security; the health check needs no credentials', () => {
    expect((document['servers'] as unknown[]).length).toBeGreaterThanOrEqual(2);
    const schemes = (document['components'] as { securitySchemes: Json }).securitySchemes;
    expect(schemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer' },
      sigv4: { type: 'apiKey', in: 'header', name: 'Authorization' },
    });
    expect(document['security']).toEqual([{ bearerAuth: [] }, { sigv4: [] }]);
    expect(document.paths['/healthz']?.['get']?.['security']).toEqual([]);
  });

  it('lists on each error response exactly the codes whose status it is, from the one status table', () => {
    for (const { path, method, operation } of operations) {
      const responses = operation['responses'] as Record<string, Json>;
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400 || response['$ref']) continue;
        const codes = response['x-error-codes'] as ErrorCode[];
        expect(codes.length, `${method} ${path} ${status}`).toBeGreaterThan(0);
        for (const code of codes) expect(ERROR_STATUS[code], `${method} ${path} ${code}`).toBe(Number(status));
        expect(response['description']).toBe(`Error codes: ${codes.join(', ')}.`);
        expect(Object.keys(response['headers'] as Json)).toContain('x-request-id');
        if (status === '503') expect(Object.keys(response['headers'] as Json)).toContain('retry-after');
      }
      expect(responses['405']).toEqual({ $ref: '#/components/responses/MethodNotAllowed' });
    }
    const send = document.paths['/v1/topics/{topic}/messages']?.['post']?.['responses'] as Record<string, Json>;
    expect(send['400']?.['x-error-codes']).toEqual(
      expect.arrayContaining(['EMPTY_BODY', 'INVALID_TAG', 'INVALID_KEY', 'TOO_MANY_PROPERTIES', 'INVALID_PROPERTY']),
    );
    expect(send['413']?.['x-error-codes']).toEqual(expect.arrayContaining(['BATCH_TOO_LARGE', 'BODY_TOO_LARGE']));
  });

  it('marks exactly the bodies the server lets you leave out as optional', () => {
    const required = Object.fromEntries(
      operations
        .filter(({ operation }) => operation['requestBody'])
        .map(({ path, method, operation }) => [
          `${method.toUpperCase()} ${path}`,
          (operation['requestBody'] as { required: boolean }).required,
        ]),
    );
    expect(required).toEqual({
      'PUT /v1/topics/{topic}': false,
      'PUT /v1/groups/{group}': true,
      'POST /v1/topics/{topic}/messages': true,
      'POST /v1/groups/{group}/receive': false,
      'POST /v1/groups/{group}/ack': true,
      'POST /v1/groups/{group}/nack': true,
      'POST /v1/groups/{group}/change-invisible-duration': true,
      'POST /v1/groups/{group}/dlq/redrive': false,
      'PUT /v1/producer-groups/{group}': true,
      'POST /v1/producer-groups/{group}/checks/receive': false,
      'POST /v1/groups/{group}/reset-offset': true,
    });
  });

  it('references components instead of copying them, and tells the send shapes apart', () => {
    const schemas = (document['components'] as { schemas: Record<string, Json> }).schemas;
    expect(schemas['Group']?.['properties']).toMatchObject({
      subscriptions: { type: 'array', items: { $ref: '#/components/schemas/Subscription' } },
    });
    expect(schemas['SendRequest']?.['oneOf']).toEqual([
      { $ref: '#/components/schemas/SendMessageRequest' },
      { $ref: '#/components/schemas/SendBatchRequest' },
    ]);
    expect(schemas['SendResponse']?.['oneOf']).toEqual([
      { $ref: '#/components/schemas/SendResult' },
      { $ref: '#/components/schemas/SendBatchResult' },
    ]);
  });
});
