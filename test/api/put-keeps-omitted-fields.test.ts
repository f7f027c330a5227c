import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds, systemClock } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { type Api, createApi } from '../../src/api/index.ts';
import { createBroker } from '../../src/core/broker.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';

/** PUT on an existing topic or group changes what it names and keeps what it leaves out. */
describe('PUT of an existing topic or group', () => {
  let store: BrokerStore;
  let api: Api;

  beforeEach(() => {
    store = openSqliteStore({ path: ':memory:' });
    api = createApi(
      createBroker({
        timers: systemTimers,
        store,
        clock: systemClock,
        ids: randomIds(),
        notifier: new InProcessNotifier(),
      }),
    );
  });
  afterEach(async () => {
    await store.close();
  });

  async function put(path: string, body?: unknown) {
    const response = await api.handle({
      method: 'PUT',
      path,
      query: {},
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      requestId: 'test',
    });
    return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> };
  }

  it('updates the retention of a 4-queue topic from { retentionHours } alone and keeps it when left out', async () => {
    expect(await put('/v1/topics/orders', { queueCount: 4, retentionHours: 24 })).toMatchObject({ status: 200 });
    expect(await put('/v1/topics/orders', { retentionHours: 48 })).toMatchObject({
      status: 200,
      body: { messageType: 'NORMAL', queueCount: 4, retentionHours: 48 },
    });
    for (const body of [undefined, {}]) {
      expect(await put('/v1/topics/orders', body)).toMatchObject({
        status: 200,
        body: { queueCount: 4, retentionHours: 48 },
      });
    }
    expect(await put('/v1/topics/orders', { queueCount: 8 })).toMatchObject({
      status: 409,
      body: { code: 'TOPIC_CONFLICT' },
    });
    expect((await store.getTopic('orders'))?.retentionMs).toBe(48 * 3_600_000);
  });

  it('keeps the message type of an existing topic when left out; a new topic takes the defaults', async () => {
    await put('/v1/topics/fifo', { messageType: 'FIFO', queueCount: 2 });
    expect(await put('/v1/topics/fifo', { retentionHours: 12 })).toMatchObject({
      status: 200,
      body: { messageType: 'FIFO', queueCount: 2, retentionHours: 12 },
    });
    expect(await put('/v1/topics/fresh')).toMatchObject({
      status: 200,
      body: { messageType: 'NORMAL', queueCount: 8, retentionHours: 72 },
    });
  });

  it('keeps the consume mode and delivery attempts of a group when left out; subscriptions are replaced', async () => {
    await put('/v1/topics/orders', {});
    await put('/v1/topics/refunds', {});
    const created = await put('/v1/groups/audit', {
      subscriptions: [{ topic: 'orders' }],
      consumeMode: 'BROADCASTING',
      maxDeliveryAttempts: 5,
    });
    expect(created).toMatchObject({ status: 200 });
    expect(
      await put('/v1/groups/audit', { subscriptions: [{ topic: 'refunds', tagExpression: 'a||b' }] }),
    ).toMatchObject({
      status: 200,
      body: {
        consumeMode: 'BROADCASTING',
        maxDeliveryAttempts: 5,
        subscriptions: [{ topic: 'refunds', tagExpression: 'a || b' }],
      },
    });
    expect(await put('/v1/groups/audit', { subscriptions: [], consumeMode: 'CLUSTERING' })).toMatchObject({
      status: 409,
      body: { code: 'GROUP_CONFLICT' },
    });
    expect(await put('/v1/groups/fresh', { subscriptions: [] })).toMatchObject({
      status: 200,
      body: { consumeMode: 'CLUSTERING', maxDeliveryAttempts: 16 },
    });
  });
});
