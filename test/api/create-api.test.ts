import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds, systemClock } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { createApi } from '../../src/api/create-api.ts';
import { createAdminHandler } from '../../src/api/handlers/admin.ts';
import { createConsumeHandler } from '../../src/api/handlers/consume.ts';
import { createMessagesHandler } from '../../src/api/handlers/messages.ts';
import { type ApiRequest, MAX_REQUEST_BYTES } from '../../src/api/http.ts';
import { type Broker, createBroker } from '../../src/core/broker.ts';
import { NimbusError } from '../../src/core/errors.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';

function request(method: string, path: string, body?: unknown, extra: Partial<ApiRequest> = {}): ApiRequest {
  return {
    method,
    path,
    query: {},
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    requestId: 'test-request',
    ...extra,
  };
}

/** A store whose listTopics fails the way a broken disk or a bug would. */
function failingListTopics(store: BrokerStore, error: Error): BrokerStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'listTopics') return () => Promise.reject(error);
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('createApi without a transport', () => {
  let store: BrokerStore;
  let broker: Broker;
  const logged: unknown[] = [];
  const logger = { error: (message: string) => logged.push(message) };

  beforeEach(async () => {
    logged.length = 0;
    store = openSqliteStore({ path: ':memory:' });
    broker = createBroker({
      timers: systemTimers,
      store,
      clock: systemClock,
      ids: randomIds(),
      notifier: new InProcessNotifier(),
    });
    await broker.catalog.putTopic('orders', { queueCount: 1 });
    await broker.catalog.putGroup('billing', { subscriptions: [{ topic: 'orders', tagExpression: '*' }] });
  });
  afterEach(async () => {
    await store.close();
  });

  async function stored(): Promise<number> {
    const [queue] = await store.queueOffsets('orders', 1);
    return queue?.nextOffset ?? 0;
  }

  it('refuses a body over the request limit, counting UTF-8 bytes, before touching the broker', async () => {
    const api = createApi(broker, { logger });
    const ascii = JSON.stringify({ body: 'a'.repeat(MAX_REQUEST_BYTES) });
    const multiByte = JSON.stringify({ body: '€'.repeat(Math.ceil(MAX_REQUEST_BYTES / 3) + 10) });
    for (const body of [ascii, multiByte]) {
      const response = await api.handle(request('POST', '/v1/topics/orders/messages', body));
      expect(response.status).toBe(413);
      expect(JSON.parse(response.body).code).toBe('REQUEST_TOO_LARGE');
    }
    expect(await stored()).toBe(0);
    const fits = await api.handle(request('POST', '/v1/topics/orders/messages', { body: '€'.repeat(1_000_000) }));
    expect(fits.status).toBe(200);
  });

  it('answers 500 INTERNAL for unknown failures, logged, and 503 for retryable store errors', async () => {
    const broken = createBroker({
      timers: systemTimers,
      store: failingListTopics(store, new Error('disk on fire')),
      clock: systemClock,
      ids: randomIds(),
      notifier: new InProcessNotifier(),
    });
    const internal = await createApi(broken, { logger }).handle(request('GET', '/v1/topics'));
    expect(internal.status).toBe(500);
    expect(JSON.parse(internal.body)).toEqual({
      code: 'INTERNAL',
      message: expect.not.stringContaining('disk'),
      requestId: 'test-request',
    });
    expect(logged).toEqual(['unhandled error']);

    const throttled = createBroker({
      timers: systemTimers,
      store: failingListTopics(store, new NimbusError('STORE_THROTTLED', 'throttled')),
      clock: systemClock,
      ids: randomIds(),
      notifier: new InProcessNotifier(),
    });
    const response = await createApi(throttled, { logger }).handle(request('GET', '/v1/topics'));
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body).code).toBe('STORE_THROTTLED');
  });

  it('ends a long-poll receive when the request signal aborts', async () => {
    const api = createApi(broker, { logger });
    const abort = new AbortController();
    const started = Date.now();
    const pending = api.handle(
      request('POST', '/v1/groups/billing/receive', { waitMs: 20_000 }, { signal: abort.signal }),
    );
    setTimeout(() => abort.abort(), 50);
    const response = await pending;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ messages: [] });
  });

  it('lets each area handler serve only its own routes, while /openapi.json documents them all', async () => {
    const messages = createMessagesHandler(broker, { logger });
    const consume = createConsumeHandler(broker, { logger });
    const admin = createAdminHandler(broker, { logger });
    expect((await messages.handle(request('POST', '/v1/topics/orders/messages', { body: 'x' }))).status).toBe(200);
    expect((await messages.handle(request('GET', '/v1/topics'))).status).toBe(404);
    expect((await consume.handle(request('POST', '/v1/groups/billing/receive', {}))).status).toBe(200);
    expect((await consume.handle(request('POST', '/v1/topics/orders/messages', { body: 'x' }))).status).toBe(404);
    expect((await admin.handle(request('GET', '/v1/topics'))).status).toBe(200);
    const document = JSON.parse((await admin.handle(request('GET', '/openapi.json'))).body);
    expect(Object.keys(document.paths)).toContain('/v1/topics/{topic}/messages');
    expect(Object.keys(document.paths)).toContain('/v1/groups/{group}/receive');
    expect(logged).toEqual([]);
  });

  it('treats an absent body as {} and decodes percent-encoded path parameters', async () => {
    const api = createApi(broker, { logger });
    const created = await api.handle(request('PUT', '/v1/topics/new-topic'));
    expect(created.status).toBe(200);
    expect(JSON.parse(created.body)).toMatchObject({ name: 'new-topic', queueCount: 8 });
    const encoded = await api.handle(request('GET', '/v1/topics/new%2Dtopic'));
    expect(encoded.status).toBe(200);
    const invalid = await api.handle(request('GET', '/v1/topics/a%20b'));
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body)).toMatchObject({ code: 'INVALID_TOPIC_NAME' });
    expect((await api.handle(request('DELETE', '/v1/topics/new-topic'))).status).toBe(204);
  });
});
