import { Backlog } from './backlog.ts';
import { Catalog } from './catalog.ts';
import { Consumer } from './consumer.ts';
import { DeadLetters } from './dead-letters.ts';
import { Maintenance } from './maintenance.ts';
import type { Clock, IdGenerator } from './ports/clock.ts';
import type { Notifier } from './ports/notifier.ts';
import type { BrokerStore } from './ports/store.ts';
import { Producer } from './producer.ts';
import { Settlement } from './settlement.ts';

export interface BrokerDeps {
  store: BrokerStore;
  clock: Clock;
  ids: IdGenerator;
  notifier: Notifier;
  /** Longest sleep of a long-poll between store checks (stores shared across processes need polling). */
  pollIntervalMs?: number;
}

/** The broker: every service, wired once over one store. */
export interface Broker {
  catalog: Catalog;
  producer: Producer;
  consumer: Consumer;
  settlement: Settlement;
  deadLetters: DeadLetters;
  maintenance: Maintenance;
  backlog: Backlog;
  store: BrokerStore;
  clock: Clock;
  ids: IdGenerator;
}

/**
 * Wires the broker's services over a store.
 * @example
 * const broker = createBroker({ store, clock: systemClock, ids: randomIds(), notifier: new InProcessNotifier() });
 * await broker.catalog.putTopic('orders', {});
 */
export function createBroker(deps: BrokerDeps): Broker {
  const { store, clock, ids, notifier } = deps;
  const catalog = new Catalog(store, clock);
  return {
    catalog,
    producer: new Producer(store, catalog, clock, ids, notifier),
    consumer: new Consumer(store, catalog, clock, ids, notifier, deps.pollIntervalMs),
    settlement: new Settlement(store, catalog, clock, ids),
    deadLetters: new DeadLetters(store, catalog, clock, ids, notifier),
    backlog: new Backlog(store, catalog),
    maintenance: new Maintenance(store, clock),
    store,
    clock,
    ids,
  };
}
