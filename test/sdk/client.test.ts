import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type HttpRequest, Producer, ReceivedMessage, SimpleConsumer } from '../../src/sdk/index.ts';
import { startSqliteServer, type TestServer } from '../support/server.ts';

describe('SDK client', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startSqliteServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('passes every request through the signer and sends its headers', async () => {
    const signed: HttpRequest[] = [];
    const seen: Headers[] = [];
    const client = new Client({
      endpoint: `${server.url}/`,
      headers: { 'x-team': 'payments' },
      signer: async (request) => {
        signed.push(request);
        return { ...request, headers: { ...request.headers, authorization: 'Signed test' } };
      },
      fetch: (url, init) => {
        seen.push(new Headers(init?.headers));
        return fetch(url, init);
      },
    });
    await client.createTopic('signed', { queueCount: 1 });
    expect(signed[0]).toMatchObject({
      method: 'PUT',
      url: `${server.url}/v1/topics/signed`,
      body: '{"queueCount":1}',
      headers: { 'content-type': 'application/json', 'x-team': 'payments' },
    });
    expect(seen[0]?.get('authorization')).toBe('Signed test');
    expect(seen[0]?.get('x-team')).toBe('payments');
  });

  it('generates a client id for consumers that have none', () => {
    const a = new SimpleConsumer(server.client, { group: 'g' });
    const b = new SimpleConsumer(server.client, { group: 'g' });
    expect(a.clientId).toMatch(/^[A-Za-z0-9_.:@-]{1,128}$/);
    expect(a.clientId).not.toBe(b.clientId);
    expect(new SimpleConsumer(server.client, { group: 'g', clientId: 'mine' }).clientId).toBe('mine');
  });

  it('exposes received bodies as bytes with text() and json() helpers', async () => {
    const { client } = server;
    await client.createTopic('helpers', { queueCount: 1 });
    await client.createGroup('helpers-group', { subscriptions: [{ topic: 'helpers' }] });
    await new Producer(client).send('helpers', { body: JSON.stringify({ id: 7, name: 'Zoë' }) });
    const [message] = await new SimpleConsumer(client, { group: 'helpers-group' }).receive();
    expect(message).toBeInstanceOf(ReceivedMessage);
    expect(message?.body).toBeInstanceOf(Uint8Array);
    expect(message?.json()).toEqual({ id: 7, name: 'Zoë' });
    expect(message?.text()).toBe('{"id":7,"name":"Zoë"}');
    expect(message?.topic).toBe('helpers');
  });
});
