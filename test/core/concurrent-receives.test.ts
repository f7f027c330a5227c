import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds, systemClock } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { type Broker, createBroker } from '../../src/core/broker.ts';
import type { Claim } from '../../src/core/ports/store.ts';

const encoder = new TextEncoder();

let open: SqliteStore[] = [];
afterEach(async () => {
  await Promise.all(open.map((store) => store.close()));
  open = [];
});

/** A broker on a real SQLite store that counts the claims the store refused (another receiver was first). */
async function countingBroker(
  queueCount: number,
): Promise<{ broker: Broker; store: SqliteStore; refusedClaims: () => number }> {
  const store = openSqliteStore({ path: ':memory:' });
  open.push(store);
  let refused = 0;
  const claim = store.claim.bind(store);
  store.claim = async (request: Claim) => {
    const stored = await claim(request);
    if (stored === false) refused++;
    return stored;
  };
  const broker = createBroker({
    timers: systemTimers,
    store,
    clock: systemClock,
    ids: randomIds(),
    notifier: new InProcessNotifier(),
  });
  await broker.catalog.putTopic('orders', { queueCount });
  await broker.catalog.putGroup('billing', { subscriptions: [{ topic: 'orders', tagExpression: '*' }] });
  return { broker, store, refusedClaims: () => refused };
}

async function sendBatches(broker: Broker, batches: number, size: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    const messages = Array.from({ length: size }, (_, i) => ({ body: encoder.encode(`m${b}-${i}`) }));
    await broker.producer.send('orders', messages);
  }
}

describe('concurrent receives of one lane in one process', () => {
  it('take different queues instead of racing for one: every message once, no claim lost', async () => {
    const { broker, refusedClaims } = await countingBroker(4);
    await sendBatches(broker, 8, 16);
    const seen: string[] = [];
    for (let round = 0; round < 4; round++) {
      const received = await Promise.all(
        Array.from({ length: 4 }, () => broker.consumer.receive('billing', { maxMessages: 8 })),
      );
      for (const messages of received) {
        expect(messages).toHaveLength(8);
        seen.push(...messages.map((m) => m.msgId));
      }
    }
    expect(new Set(seen).size).toBe(128);
    expect(refusedClaims()).toBe(0);
  });

  it('serve one busy queue in turn: a receive waits for the other claim and takes what it left', async () => {
    const { broker, refusedClaims } = await countingBroker(1);
    await sendBatches(broker, 1, 3);
    const [first, second, third] = await Promise.all([
      broker.consumer.receive('billing', { maxMessages: 1 }),
      broker.consumer.receive('billing', { maxMessages: 1 }),
      broker.consumer.receive('billing', { maxMessages: 1 }),
    ]);
    const bodies = [first, second, third].map((messages) => new TextDecoder().decode(messages?.[0]?.body));
    expect(bodies.sort()).toEqual(['m0-0', 'm0-1', 'm0-2']);
    expect(refusedClaims()).toBe(0);
  });
});

describe('a receive that waited for another claim of its lane', () => {
  it('takes a message sent while it waited, instead of sleeping out its poll interval', async () => {
    const { broker, store } = await countingBroker(1);
    await sendBatches(broker, 1, 1);
    const readQueue = store.readQueue.bind(store);
    let sentDuringClaim = false;
    store.readQueue = async (...args: Parameters<SqliteStore['readQueue']>) => {
      if (!sentDuringClaim) {
        sentDuringClaim = true;
        // The other receive has read the queue heads by now and waits for this claim.
        await new Promise((resolve) => setTimeout(resolve, 20));
        await broker.producer.send('orders', [{ body: encoder.encode('late') }]);
      }
      return readQueue(...args);
    };
    const started = Date.now();
    const [first, second] = await Promise.all([
      broker.consumer.receive('billing', { maxMessages: 1, waitMs: 5_000 }),
      broker.consumer.receive('billing', { maxMessages: 1, waitMs: 5_000 }),
    ]);
    const elapsed = Date.now() - started;
    const bodies = [...(first ?? []), ...(second ?? [])].map((m) => new TextDecoder().decode(m.body));
    expect(bodies.sort()).toEqual(['late', 'm0-0']);
    // The second message was ready when the waiting receive looked: no poll interval (1 s) slept.
    expect(elapsed).toBeLessThan(500);
  });
});
