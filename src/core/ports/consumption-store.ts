/** A lane's leases on one queue, by whether they were handed out yet. */
export interface LeaseCounts {
  inFlight: number;
  parked: number;
}

/**
 * Where one consumption lane's lease on one delivered message is stored. A lane is the
 * consumer group (clustering) or `group@clientId` (one broadcasting instance). `batchId` is
 * the store's own reference, chosen when it stores the lease (claim, redrive), so a store
 * can keep one lease item per received batch; core only carries it back.
 */
export interface LeaseKey {
  consumer: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  batchId: string;
}

export interface Lease extends LeaseKey {
  msgId: string;
  /** Deliveries so far. */
  attempt: number;
  /** Epoch ms when the message becomes deliverable again if not acked. */
  visibleAt: number;
  /** Changes on every delivery; fences stale receipt handles. */
  token: string;
  /**
   * The message's group, on leases of orderly lanes on FIFO topics: the lease with the
   * lowest offset of a message group is the only one of that group that may be delivered.
   */
  messageGroup?: string;
}

/** A lease as core asks the store to keep it: the store chooses its `batchId`. */
export type NewLease = Omit<Lease, 'batchId'>;

/** Advance a lane's cursor over [fromOffset, toOffset) and lease what was handed out. */
export interface Claim {
  consumer: string;
  topic: string;
  queueId: number;
  fromOffset: number;
  toOffset: number;
  leases: NewLease[];
}

export interface LeaseUpdate {
  /** The new delivery count; absent keeps the stored one (nack and extensions never take it from a client). */
  attempt?: number;
  visibleAt: number;
  token: string;
}

/**
 * Cursors and leases: what consumers claim, extend and ack. Consumption state may trail
 * by one sync (losing it in a crash only causes redelivery). Conformance:
 * test/conformance/lease-conformance.ts.
 */
export interface ConsumptionStore {
  /** The lane's next offset per queueId; queues the lane never consumed are absent. */
  getCursors(consumer: string, topic: string): Promise<Map<number, number>>;
  /** Sets cursors only where the lane has none yet (idempotent). */
  initCursors(consumer: string, topic: string, cursors: ReadonlyMap<number, number>): Promise<void>;
  /**
   * Atomically: if the lane's cursor for the queue is still `fromOffset`, moves it to
   * `toOffset` and stores `leases` (replacing a lease at the same position). Answers the
   * leases as stored, in the order given, each with the `batchId` the store chose for it (the
   * reference receipt handles carry). Answers false (and changes nothing) when another
   * receiver moved the cursor first or the lane has no cursor for the queue.
   */
  claim(claim: Claim): Promise<Lease[] | false>;
  /** Leases of the lane whose `visibleAt` <= now, oldest first. */
  dueLeases(consumer: string, now: number, limit: number): Promise<Lease[]>;
  /** The earliest `visibleAt` among the lane's leases, if any. */
  nextLeaseVisibleAt(consumer: string): Promise<number | undefined>;
  /**
   * The lease stored at `key` (its current attempt, visible time and token), read
   * strongly; `undefined` when there is none. Settlement trusts this, never a client's copy.
   */
  getLease(key: LeaseKey): Promise<Lease | undefined>;
  /**
   * Every lease of the lane on one queue, whatever its visible time, read strongly: an
   * orderly receive learns from it which message groups are in flight or waiting.
   */
  queueLeases(consumer: string, topic: string, queueId: number): Promise<Lease[]>;
  /** Updates a lease if its token is still `expectedToken`; false when stale or gone. */
  updateLease(key: LeaseKey, expectedToken: string, update: LeaseUpdate): Promise<boolean>;
  /** Deletes leases whose tokens still match (ack); one result per item. */
  deleteLeases(items: readonly { key: LeaseKey; token: string }[]): Promise<boolean[]>;
  /**
   * Moves a lane's cursors to the given offsets whatever they were (offset reset) and drops
   * the lane's leases on those queues, so no delivery from before the reset settles into the
   * new position or is redelivered from the old one.
   */
  resetCursors(consumer: string, topic: string, cursors: ReadonlyMap<number, number>): Promise<void>;
  /**
   * The lane's leases per queueId of a topic: `inFlight` were handed out (unsettled, or
   * waiting for redelivery), `parked` never were (attempt 0: an orderly lane holds them behind
   * a busy message group).
   */
  countLeases(consumer: string, topic: string): Promise<Map<number, LeaseCounts>>;
  /** The lanes of a group that have consumed a topic: the group itself and its broadcasting instances (`group@clientId`). */
  listLanes(group: string, topic: string): Promise<string[]>;
}
