import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../src/api/openapi.ts';
import { startSqliteServer, type TestServer } from '../support/server.ts';

type Json = Record<string, unknown>;
const document = buildOpenApiDocument() as unknown as Json & { paths: Record<string, Record<string, Json>> };
const ajv = new Ajv2020({ strict: false });
ajv.addSchema({ $id: 'nimbus', components: document['components'] });
const bodyOk = (path: string, method: string, body: unknown) => {
  const op = document.paths[path]?.[method] as { requestBody: { content: { 'application/json': { schema: Json } } } };
  const ref = op.requestBody.content['application/json'].schema['$ref'] as string;
  return ajv.compile({ $ref: `nimbus${ref}` })(body) as boolean;
};
const paramOk = (path: string, method: string, name: string, value: unknown) => {
  const op = document.paths[path]?.[method] as { parameters: { name: string; schema: Json }[] };
  const p = op.parameters.find((x) => x.name === name);
  return ajv.compile({ ...(p?.schema ?? {}), $id: undefined })(value) as boolean;
};

let server: TestServer;
beforeAll(async () => {
  server = await startSqliteServer();
  await server.broker.catalog.putTopic('plain', { queueCount: 1 });
  await server.broker.catalog.putTopic('later', { queueCount: 1, messageType: 'DELAY' });
  await server.broker.catalog.putGroup('g', { subscriptions: [{ topic: 'plain', tagExpression: '*' }] });
});
afterAll(async () => {
  await server?.close();
});

async function call(method: string, path: string, body?: unknown, raw?: string) {
  const text = raw ?? (body === undefined ? undefined : JSON.stringify(body));
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: text === undefined ? {} : { 'content-type': 'application/json' },
    body: text,
  });
  const answer = await response.text();
  return { status: response.status, code: answer ? (JSON.parse(answer) as Json)['code'] : undefined };
}

/**
 * Requests at the Unicode and delay edges: the document's schemas (checked with Ajv 2020) and
 * the server must agree on each. Rules a schema cannot state (a body's text validity, one of
 * deliverAt and delayMs, what a topic's type needs) are in the descriptions instead.
 */
const SEND = '/v1/topics/{topic}/messages';
const emoji = '\u{1F600}';
// Each: the document's schema and the server accept it, or both refuse it.
const sendCases: [string, string, Json][] = [
  ['tag with a lone surrogate', 'plain', { body: 'x', tag: 'a\ud800' }],
  ['key with a lone surrogate', 'plain', { body: 'x', keys: ['k\udc00'] }],
  ['messageId with a lone surrogate', 'plain', { body: 'x', messageId: 'm\ud800' }],
  ['property value with a lone surrogate', 'plain', { body: 'x', properties: { a: '\ud800' } }],
  ['key of 65 astral characters (130 UTF-16 units)', 'plain', { body: 'x', keys: [emoji.repeat(65)] }],
  ['messageId of 65 astral characters', 'plain', { body: 'x', messageId: emoji.repeat(65) }],
  ['negative delayMs on a DELAY topic', 'later', { body: 'x', delayMs: -1 }],
  ['negative deliverAt on a DELAY topic', 'later', { body: 'x', deliverAt: -5 }],
  ['delayMs one past 40 days', 'later', { body: 'x', delayMs: 40 * 24 * 3_600_000 + 1 }],
];

describe('send at the edges', () => {
  for (const [name, topic, body] of sendCases) {
    it(name, async () => {
      const doc = bodyOk(SEND, 'post', body);
      const res = await call('POST', `/v1/topics/${topic}/messages`, body);
      expect({ doc, status: res.status, code: res.code }).toMatchObject({ doc: res.status < 300 });
    });
  }
});

describe('put group: tag expression length counted in code points', () => {
  it('an expression of 4 tags of 128 astral characters (524 code points, 1036 UTF-16 units)', async () => {
    const tag = emoji.repeat(128);
    const body = { subscriptions: [{ topic: 'plain', tagExpression: [tag, tag, tag, tag].join(' || ') }] };
    const doc = bodyOk('/v1/groups/{group}', 'put', body);
    const res = await call('PUT', '/v1/groups/astral', body);
    expect({ doc, status: res.status, code: res.code }).toMatchObject({ doc: res.status < 300 });
  });
});

describe('scheduled routes', () => {
  it('list on a NORMAL topic: the code is listed for the status', async () => {
    const res = await call('GET', '/v1/topics/plain/scheduled');
    const op = document.paths['/v1/topics/{topic}/scheduled']?.['get'] as { responses: Record<string, Json> };
    const listed =
      res.status < 300 ||
      ((op.responses[String(res.status)]?.['x-error-codes'] as string[] | undefined) ?? []).includes(String(res.code));
    expect({ status: res.status, code: res.code, listed }).toMatchObject({ listed: true });
  });
  it('cancel: a msgId the document allows (any non-empty string) on a NORMAL topic', async () => {
    const res = await call('DELETE', `/v1/topics/plain/scheduled/${'a'.repeat(32)}`);
    const op = document.paths['/v1/topics/{topic}/scheduled/{msgId}']?.['delete'] as {
      responses: Record<string, Json>;
    };
    const listed = (op.responses[String(res.status)]?.['x-error-codes'] as string[] | undefined)?.includes(
      String(res.code),
    );
    expect({ status: res.status, code: res.code, listed }).toMatchObject({ listed: true });
  });
  it('list with limit 1000 and 1001', async () => {
    expect(paramOk('/v1/topics/{topic}/scheduled', 'get', 'limit', 1001)).toBe(false);
    expect((await call('GET', '/v1/topics/later/scheduled?limit=1000')).status).toBe(200);
    expect((await call('GET', '/v1/topics/later/scheduled?limit=1001')).code).toBe('INVALID_ARGUMENT');
  });
});

describe('odd JSON', () => {
  it('a top-level __proto__ key is refused, not ignored', async () => {
    const res = await call('POST', '/v1/topics/plain/messages', undefined, '{"body":"x","__proto__":{"tag":"a"}}');
    expect(res.code).toBe('INVALID_REQUEST');
  });
  it('a __proto__ subscription key', async () => {
    const res = await call(
      'PUT',
      '/v1/groups/proto',
      undefined,
      '{"subscriptions":[{"topic":"plain","__proto__":{}}]}',
    );
    expect(res.code).toBe('INVALID_REQUEST');
  });
  it('a repeated query parameter counts with its first value, as on AWS', async () => {
    const a = await call('GET', '/v1/groups/g/dlq?limit=5&limit=5000');
    const b = await call('GET', '/v1/groups/g/dlq?limit=5000&limit=5');
    // The Lambda adapter (src/lambda/http-event.ts) keeps the first value too.
    expect({ a: a.status, b: b.status }).toEqual({ a: 200, b: 400 });
  });
  it('maxMessages 1e400 (Infinity after JSON.parse)', async () => {
    const res = await call('POST', '/v1/groups/g/receive', undefined, '{"maxMessages":1e400}');
    expect(res.status).toBe(400);
  });
});

it('logged no server errors', () => {
  expect(server.loggedErrors).toEqual([]);
});
