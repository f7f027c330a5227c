import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../src/api/error-status.ts';
import { buildOpenApiDocument } from '../../src/api/openapi.ts';
import { startSqliteServer, type TestServer } from '../support/server.ts';
import { BOUNDARY_CASES, type BoundaryCase, FIXTURE, type Fixture } from './boundary-cases.ts';

type Json = Record<string, unknown>;
interface Operation {
  parameters?: { name: string; in: 'path' | 'query'; required: boolean; schema: Json }[];
  requestBody?: { required: boolean; content: { 'application/json': { schema: Json } } };
  responses: Record<string, Json>;
}

const document = buildOpenApiDocument() as unknown as Json & { paths: Record<string, Record<string, Operation>> };
// The document's own schemas, validated by an independent JSON Schema 2020-12 validator.
const ajv = new Ajv2020({ strict: false });
ajv.addSchema({ $id: 'nimbus', components: document['components'] });
const viaDocument = (schema: Json) =>
  typeof schema['$ref'] === 'string'
    ? ajv.compile({ $ref: `nimbus${schema['$ref']}` })
    : ajv.compile({ ...schema, $id: undefined });

/** The operation a concrete path and method belong to, with its path parameters. */
function operationFor(method: string, path: string): { operation: Operation; params: Record<string, string> } {
  const segments = path.split('/');
  for (const [template, methods] of Object.entries(document.paths)) {
    const parts = template.split('/');
    if (parts.length !== segments.length || !methods[method.toLowerCase()]) continue;
    const params: Record<string, string> = {};
    const matches = parts.every((part, i) => {
      const segment = segments[i] as string;
      if (part.startsWith('{')) params[part.slice(1, -1)] = decodeURIComponent(segment);
      return part.startsWith('{') || part === segment;
    });
    if (matches) return { operation: methods[method.toLowerCase()] as Operation, params };
  }
  throw new Error(`the document has no ${method} ${path}`);
}

/** Query values are text; an `integer` parameter is the number the text spells, as a client would send it. */
function queryValue(text: string, schema: Json): unknown {
  return schema['type'] === 'integer' && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
}

/** Whether the document's schemas accept the request: parameters and body. */
function documentAccepts(row: BoundaryCase, body: unknown): boolean {
  const { operation, params } = operationFor(row.method, row.path);
  for (const parameter of operation.parameters ?? []) {
    const raw = parameter.in === 'path' ? params[parameter.name] : row.query?.[parameter.name];
    if (raw === undefined) {
      if (parameter.required) return false;
      continue;
    }
    if (!viaDocument(parameter.schema)(queryValue(raw, parameter.schema))) return false;
  }
  if (body === undefined) return !operation.requestBody?.required;
  const schema = operation.requestBody?.content['application/json'].schema;
  return schema !== undefined && viaDocument(schema)(body) === true;
}

describe('boundary requests: the server accepts exactly what the schemas accept', () => {
  let server: TestServer;
  let fixture: Fixture;

  beforeAll(async () => {
    server = await startSqliteServer();
    const { catalog, producer } = server.broker;
    for (const topic of [FIXTURE.topic, FIXTURE.longTopic, ...FIXTURE.manyTopics]) {
      await catalog.putTopic(topic, { queueCount: 1 });
    }
    for (const group of [FIXTURE.group, FIXTURE.longGroup]) {
      await catalog.putGroup(group, { subscriptions: [{ topic: FIXTURE.topic, tagExpression: '*' }] });
    }
    fixture = {
      async receiptHandle() {
        await producer.send(FIXTURE.topic, [{ body: new TextEncoder().encode('for a handle') }]);
        const [message] = await server.broker.consumer.receive(FIXTURE.group, { maxMessages: 1 });
        if (!message) throw new Error('no message to take a receipt handle from');
        return message.receiptHandle;
      },
    };
  });
  afterAll(async () => {
    await server.close();
  });

  for (const row of BOUNDARY_CASES) {
    it(`${row.refusedWith ? 'refuses' : 'accepts'} ${row.name}`, async () => {
      const body = typeof row.body === 'function' ? await row.body(fixture) : row.body;
      expect(documentAccepts(row, body), 'the document').toBe(row.refusedWith === undefined);

      const query = row.query ? `?${new URLSearchParams(row.query)}` : '';
      const response = await fetch(`${server.url}${row.path}${query}`, {
        method: row.method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const answer = (await response.text()) || undefined;
      const json = answer === undefined ? undefined : (JSON.parse(answer) as Json);
      if (row.refusedWith === undefined) {
        expect({ status: response.status, json }).toMatchObject({ status: expect.toSatisfy((s: number) => s < 300) });
        return;
      }
      expect({ status: response.status, code: json?.['code'] }).toEqual({
        status: ERROR_STATUS[row.refusedWith],
        code: row.refusedWith,
      });
      // The document names the code on the response the server gave.
      const { operation } = operationFor(row.method, row.path);
      expect(operation.responses[String(response.status)]?.['x-error-codes']).toContain(row.refusedWith);
    });
  }

  it('logged no server errors', () => {
    expect(server.loggedErrors).toEqual([]);
  });
});
