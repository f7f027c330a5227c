import { randomBytes } from 'node:crypto';
import type { DynamoDbStore, DynamoDbStoreHooks, DynamoDbStoreOptions } from '../../../src/adapters/dynamodb/index.ts';
import { InProcessNotifier } from '../../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../../src/adapters/system/system-timers.ts';
import { type Broker, createBroker } from '../../../src/core/broker.ts';
import type { MessageToAppend, SendResult } from '../../../src/core/model.ts';
import type { BrokerStore } from '../../../src/core/ports/store.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import type { LocalAws } from './local-store.ts';

export const HOLE_TIMEOUT_MS = 5_000;
const encoder = new TextEncoder();
export const text = (body: Uint8Array) => new TextDecoder().decode(body);

/** A writer that stops at a hook until released: `paused` resolves once it got there. */
export function gate() {
  let release!: () => void;
  let arrived!: () => void;
  const open = new Promise<void>((resolve) => {
    release = resolve;
  });
  const paused = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  let used = false;
  return {
    release,
    paused,
    /** Pauses the first call only. */
    async hold() {
      if (used) return;
      used = true;
      arrived();
      await open;
    },
  };
}

/**
 * Brokers over separate store instances on shared tables (like separate containers), all
 * on one manual clock that the stores use too. Topic `orders` (one queue by default) and
 * group `billing` exist.
 */
export async function faultWorld(aws: LocalAws, queueCount = 1) {
  const prefix = `w${randomBytes(4).toString('hex')}`;
  const clock = new ManualClock(Date.now());
  const seals: [number, number][] = [];
  const openStore = (options: Partial<DynamoDbStoreOptions> = {}): Promise<DynamoDbStore> =>
    aws.openStore({
      tablePrefix: prefix,
      holeTimeoutMs: HOLE_TIMEOUT_MS,
      now: () => clock.now(),
      ...options,
      hooks: {
        onSeal: (_topic, _queue, from, to) => seals.push([from, to]),
        // Every store's monotonic clock is the manual clock too: "an hour passes" for all of them.
        monotonicNow: () => clock.now(),
        ...options.hooks,
      },
    });
  const open = async (hooks: DynamoDbStoreHooks = {}, options: Partial<DynamoDbStoreOptions> = {}) => {
    const store = await openStore({ ...options, hooks });
    return createBroker({ timers: systemTimers, store, clock, ids: randomIds(), notifier: new InProcessNotifier() });
  };
  const admin = await open();
  await admin.catalog.putTopic('orders', { queueCount });
  await admin.catalog.putGroup('billing', { subscriptions: [{ topic: 'orders', tagExpression: '*' }] });
  const send = (broker: Broker, body: string, extra = {}): Promise<SendResult> =>
    broker.producer.send('orders', [{ body: encoder.encode(body), ...extra }]).then(([result]) => result!);
  const receive = async (broker: Broker) =>
    (await broker.consumer.receive('billing', { maxMessages: 32 })).map((m) => text(m.body));
  /** Messages for a store's append, straight (no producer in between). */
  const messages = (count: number, body: string, extra: Partial<MessageToAppend> = {}): MessageToAppend[] =>
    Array.from({ length: count }, (_, i) => ({
      msgId: randomBytes(16).toString('hex').toUpperCase(),
      topic: 'orders',
      queueId: 0,
      body: encoder.encode(count === 1 ? body : `${body}-${i}`),
      keys: [],
      properties: {},
      bornTimestamp: clock.now(),
      storeTimestamp: clock.now(),
      expireAt: clock.now() + 3 * 86_400_000,
      ...extra,
    }));
  const readAll = async (store: BrokerStore) => {
    const read = await store.readQueue('orders', 0, 0, 100, clock.now());
    return read.messages.map((m) => text(m.body));
  };
  return { prefix, clock, seals, open, openStore, admin, send, receive, messages, readAll };
}
