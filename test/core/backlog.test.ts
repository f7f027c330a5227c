import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { createBroker } from '../../src/core/broker.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { ManualClock } from '../support/manual-clock.ts';

let store: BrokerStore | undefined;
afterEach(async () => {
  await store?.close();
});

describe('consumer lag (backlog)', () => {
  it('counts what each clustering group has not been handed yet, per topic, summed over queues', async () => {
    store = openSqliteStore({ path: ':memory:' });
    const broker = createBroker({
      timers: systemTimers,
      store,
      clock: new ManualClock(),
      ids: randomIds(),
      notifier: new InProcessNotifier(),
    });
    await broker.catalog.putTopic('orders', { queueCount: 2 });
    await broker.catalog.putTopic('refunds', { queueCount: 1 });
    await broker.catalog.putGroup('billing', { subscriptions: [{ topic: 'orders', tagExpression: '*' }] });
    await broker.catalog.putGroup('audit', {
      subscriptions: [
        { topic: 'orders', tagExpression: '*' },
        { topic: 'refunds', tagExpression: '*' },
      ],
    });
    await broker.catalog.putGroup('screens', {
      subscriptions: [{ topic: 'orders', tagExpression: '*' }],
      consumeMode: 'BROADCASTING',
    });
    const body = new TextEncoder().encode('x');
    for (let i = 0; i < 5; i++) await broker.producer.send('orders', [{ body }]);
    await broker.producer.send('refunds', [{ body }, { body }]);
    await broker.consumer.receive('billing', { maxMessages: 3 });

    const lags = await broker.backlog.consumerLag();
    expect(lags).toHaveLength(3);
    expect(lags).toEqual(
      expect.arrayContaining([
        { group: 'billing', topic: 'orders', lag: 2 },
        { group: 'audit', topic: 'orders', lag: 5 },
        { group: 'audit', topic: 'refunds', lag: 2 },
      ]),
    );
  });
});
