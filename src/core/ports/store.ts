import type { CatalogStore } from './catalog-store.ts';
import type { ConsumptionStore } from './consumption-store.ts';
import type { DeadLetterStore } from './dead-letter-store.ts';
import type { HeldMessageStore } from './held-message-store.ts';
import type { LockStore } from './lock-store.ts';
import type { MessageLog } from './message-log.ts';
import type { TraceStore } from './trace-store.ts';

export type * from './catalog-store.ts';
export type * from './consumption-store.ts';
export type * from './dead-letter-store.ts';
export type * from './held-message-store.ts';
export type * from './lock-store.ts';
export type * from './message-log.ts';
export type * from './trace-store.ts';

/**
 * The storage port, split by role: catalog, message log, consumption (cursors and
 * leases), dead letters, held messages (delayed and half messages), locks and trace. Each role has its own conformance file under
 * test/conformance that both adapters (SQLite, DynamoDB) run unchanged; this intersection
 * keeps each adapter one object. Broker rules live above it, in the core services; the
 * store guarantees atomicity and the conditions named on each method.
 */
export type BrokerStore = CatalogStore &
  MessageLog &
  ConsumptionStore &
  DeadLetterStore &
  HeldMessageStore &
  LockStore &
  TraceStore &
  Closable;

export interface Closable {
  close(): Promise<void>;
}
