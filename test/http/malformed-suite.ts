import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, Producer } from '../../src/sdk/index.ts';
import type { StartServer } from '../support/server.ts';
import { expectApiError, storedCount, topicWithGroups, useServer } from './helpers.ts';

const MiB = 1024 * 1024;
const JSON_TYPE = { 'content-type': 'application/json' };

/** Malformed requests in plain HTTP: a specific code and status, never a 500, never a write. */
export function describeMalformedSuite(label: string, start: StartServer): void {
  describe(`${label}: malformed requests`, () => {
    const server = useServer(start);

    async function call(method: string, path: string, body?: string, headers: Record<string, string> = JSON_TYPE) {
      const response = await fetch(`${server().url}${path}`, { method, body, headers });
      const text = await response.text();
      const json = text === '' ? undefined : (JSON.parse(text) as { code: string; message: string; requestId: string });
      if (response.status >= 400) {
        expect(json?.requestId).toBe(response.headers.get('x-request-id'));
        expect(json?.message).toEqual(expect.any(String));
      }
      return { status: response.status, code: json?.code, headers: response.headers };
    }

    async function topic() {
      const { topic } = await topicWithGroups(server().client, 0, { queueCount: 1 });
      return { topic, path: `/v1/topics/${topic}/messages` };
    }

    it('refuses unparseable JSON and JSON of the wrong shape with 400 INVALID_REQUEST', async () => {
      const { path, topic: name } = await topic();
      const bodies = [
        '{"body": "x"',
        '{body: "x"}',
        'null',
        '[]',
        '"just a string"',
        '{"body": 123}',
        '{"body": "x", "properties": {"a": 1}}',
        '{"body": "x", "keys": "not-a-list"}',
        '{"body": "x", "tag": ["a"]}',
        '{"body": "x", "bodyEncoding": "hex"}',
        '{"body": "x", "bodyEncodig": "base64"}',
        '{"body": "not base64!", "bodyEncoding": "base64"}',
        '{"body": "YWJj", "bodyEncoding": "base64", "extra": true}',
        '{"body": "YWJjZA", "bodyEncoding": "base64"}',
        '{"messages": [{"body": "ok"}, {"body": 5}]}',
        '{"messages": "nope"}',
        '{"body": "x", "deliverAt": "tomorrow"}',
      ];
      for (const body of bodies) {
        expect({ body, ...(await call('POST', path, body)) }).toMatchObject({
          body,
          status: 400,
          code: 'INVALID_REQUEST',
        });
      }
      expect(await storedCount(server().broker, name)).toBe(0);
    });

    it('refuses wrong field types on admin and consume routes', async () => {
      const { client } = server();
      const { groups } = await topicWithGroups(client, 1);
      const group = groups[0]!;
      const cases: [string, string, string][] = [
        ['PUT', '/v1/topics/t1', '{"queueCount": "eight"}'],
        ['PUT', '/v1/topics/t1', '{"queueCount": 1.5}'],
        ['PUT', '/v1/topics/t1', '{"messageType": "SPECIAL"}'],
        ['PUT', '/v1/groups/g1', '{"subscriptions": [{"topic": 5}]}'],
        ['PUT', '/v1/groups/g1', '{"subscriptions": {}}'],
        ['POST', `/v1/groups/${group}/receive`, '{"maxMessages": "3"}'],
        ['POST', `/v1/groups/${group}/receive`, '{"clientid": "typo"}'],
        ['POST', `/v1/groups/${group}/ack`, '{"receiptHandles": "h"}'],
        ['POST', `/v1/groups/${group}/nack`, '{"receiptHandles": ["h"], "delayMs": "soon"}'],
        ['POST', `/v1/groups/${group}/change-invisible-duration`, '{"receiptHandle": "h"}'],
        ['POST', `/v1/groups/${group}/dlq/redrive`, '{"msgIds": [1]}'],
      ];
      for (const [method, path, body] of cases) {
        expect({ path, body, ...(await call(method, path, body)) }).toMatchObject({
          status: 400,
          code: 'INVALID_REQUEST',
        });
      }
      expect(await call('GET', `/v1/groups/${group}/dlq?limit=abc`)).toMatchObject({
        status: 400,
        code: 'INVALID_REQUEST',
      });
      // Right type, out of range: the code the core gives for the same mistake.
      expect(await call('GET', `/v1/groups/${group}/dlq?limit=0`)).toMatchObject({
        status: 400,
        code: 'INVALID_ARGUMENT',
      });
      expect((await client.listTopics()).map((t) => t.name)).not.toContain('t1');
    });

    it('refuses bodies that are not declared JSON with 415', async () => {
      const { path, topic: name } = await topic();
      const declared: Record<string, string>[] = [
        { 'content-type': 'text/plain' },
        { 'content-type': 'application/x-www-form-urlencoded' },
        {},
      ];
      for (const headers of declared) {
        expect(await call('POST', path, '{"body": "x"}', headers)).toMatchObject({
          status: 415,
          code: 'UNSUPPORTED_MEDIA_TYPE',
        });
      }
      expect(await call('PUT', '/v1/topics/t2', '{}', { 'content-type': 'text/xml' })).toMatchObject({ status: 415 });
      expect(
        await call('POST', path, '{"body": "x"}', { 'content-type': 'application/json; charset=utf-8' }),
      ).toMatchObject({
        status: 200,
      });
      expect(await storedCount(server().broker, name)).toBe(1);
    });

    it('answers unknown routes with 404 and wrong methods with 405 and Allow', async () => {
      for (const [method, path] of [
        ['GET', '/'],
        ['GET', '/v2/topics'],
        ['GET', '/v1/topics/a/b'],
        ['POST', '/v1/groups/g/unknown-action'],
        ['GET', '/v1/topics//messages'],
      ] as const) {
        expect({ path, ...(await call(method, path)) }).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND' });
      }
      const patch = await call('PATCH', '/v1/topics/x', '{}');
      expect(patch).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
      expect(patch.headers.get('allow')?.split(', ').sort()).toEqual(['DELETE', 'GET', 'PUT']);
      expect(await call('DELETE', '/v1/topics/x/messages')).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
      expect(await call('DELETE', '/v1/topics')).toMatchObject({ status: 405 });
      expect(await call('GET', '/v1/topics/%E0%A4%A')).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
    });

    it('refuses requests over 6 MiB with 413 REQUEST_TOO_LARGE and stores nothing', async () => {
      const { path, topic: name } = await topic();
      const huge = JSON.stringify({ body: 'a'.repeat(7 * MiB) });
      expect(await call('POST', path, huge)).toMatchObject({ status: 413, code: 'REQUEST_TOO_LARGE' });
      await expectApiError(new Producer(server().client).send(name, 'a'.repeat(7 * MiB)), {
        code: 'REQUEST_TOO_LARGE',
        status: 413,
        type: PayloadTooLargeError,
      });
      expect(await storedCount(server().broker, name)).toBe(0);
      // The connection was closed after the 413; the next request still works.
      expect(await call('POST', path, '{"body": "small"}')).toMatchObject({ status: 200 });
    });
  });
}
