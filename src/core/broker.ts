import { Backlog } from './backlog.ts';
import { Catalog } from './catalog.ts';
import { Consumer } from './consumer.ts';
import { DeadLetters } from './dead-letters.ts';
import { Maintenance } from './maintenance.ts';
import type { Clock, IdGenerator } from './ports/clock.ts';
import type { Notifier } from './ports/notifier.ts';
import type { BrokerStore } from './ports/store.ts';
import type { ReleaseScheduler, Timers } from './ports/timers.ts';
import { Producer } from './producer.ts';
import { ScheduledMessages } from './scheduled-messages.ts';
import { Settlement } from './settlement.ts';

export interface BrokerDeps {
  store: BrokerStore;
  clock: Clock;
  ids: IdGenerator;
  notifier: Notifier;
  timers: Timers;
  /**
   * Arranges the release of delayed messages at their due time. Without one, held messages
   * are released only when a driver calls `scheduled.releaseDue()`.
   */
  releaseScheduler?: ReleaseScheduler;
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
  scheduled: ScheduledMessages;
  maintenance: Maintenance;
  backlog: Backlog;
  store: BrokerStore;
  clock: Clock;
  ids: IdGenerator;
  timers: Timers;
}

/**
 * Wires the broker's services over a store.
 * @example
 * const broker = createBroker({ store, clock: systemClock, ids: randomIds(), notifier: new InProcessNotifier(), timers: systemTimers });
 * await broker.catalog.putTopic('orders', {});
 */
export function createBroker(deps: BrokerDeps): Broker {
  const { store, clock, ids, notifier, timers } = deps;
  const catalog = new Catalog(store, clock);
  const scheduled = new ScheduledMessages({ store, catalog, clock, notifier, scheduler: deps.releaseScheduler });
  return {
    catalog,
    producer: new Producer({ store, catalog, clock, ids, notifier, scheduled }),
    consumer: new Consumer(store, catalog, clock, ids, notifier, deps.pollIntervalMs),
    settlement: new Settlement(store, catalog, clock, ids, notifier),
    deadLetters: new DeadLetters(store, catalog, clock, ids, notifier),
    scheduled,
    backlog: new Backlog(store, catalog),
    maintenance: new Maintenance(store, clock),
    store,
    clock,
    ids,
    timers,
  };
}
