import { Backlog } from './backlog.ts';
import { Catalog } from './catalog.ts';
import { Consumer } from './consumer.ts';
import { ConsumptionStats } from './consumption-stats.ts';
import { DeadLetters } from './dead-letters.ts';
import { Maintenance } from './maintenance.ts';
import { MessageQueries } from './message-query.ts';
import { OffsetReset } from './offset-reset.ts';
import type { Clock, IdGenerator } from './ports/clock.ts';
import type { Notifier } from './ports/notifier.ts';
import type { BrokerStore } from './ports/store.ts';
import type { ReleaseScheduler, Timers } from './ports/timers.ts';
import type { TransactionChecker } from './ports/transaction-checker.ts';
import { Producer } from './producer.ts';
import { ProducerGroups } from './producer-groups.ts';
import { ScheduledMessages } from './scheduled-messages.ts';
import { Settlement } from './settlement.ts';
import { Tracer } from './tracer.ts';
import { Transactions } from './transactions.ts';

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
  /** Calls producer groups' webhook and Lambda checkers. Without one, those checks count as UNKNOWN. */
  transactionChecker?: TransactionChecker;
  /** Arranges the check-back of half messages at their first check time (like `releaseScheduler`). */
  checkScheduler?: ReleaseScheduler;
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
  producerGroups: ProducerGroups;
  transactions: Transactions;
  maintenance: Maintenance;
  backlog: Backlog;
  /** The event seam: lifecycle events of every service go through it into the trace. */
  tracer: Tracer;
  queries: MessageQueries;
  offsets: OffsetReset;
  stats: ConsumptionStats;
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
  const tracer = new Tracer(store, catalog, clock);
  const scheduled = new ScheduledMessages({
    store,
    catalog,
    clock,
    notifier,
    scheduler: deps.releaseScheduler,
    tracer,
  });
  const producerGroups = new ProducerGroups(store, clock);
  const transactions = new Transactions({
    store,
    clock,
    notifier,
    timers,
    producerGroups,
    checker: deps.transactionChecker,
    scheduler: deps.checkScheduler,
    tracer,
  });
  return {
    catalog,
    producer: new Producer({ store, catalog, clock, ids, notifier, scheduled, transactions }),
    consumer: new Consumer(store, catalog, clock, ids, notifier, deps.pollIntervalMs, tracer),
    settlement: new Settlement(store, catalog, clock, ids, notifier, tracer),
    deadLetters: new DeadLetters(store, catalog, clock, ids, notifier, tracer),
    scheduled,
    producerGroups,
    transactions,
    backlog: new Backlog(store, catalog),
    tracer,
    queries: new MessageQueries(store, catalog, clock, tracer),
    offsets: new OffsetReset(store, catalog),
    stats: new ConsumptionStats(store, catalog, clock),
    maintenance: new Maintenance(store, clock, tracer),
    store,
    clock,
    ids,
    timers,
  };
}
