import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ClaimCheckOptions } from './claim-check.ts';
import type { RetryPolicy } from './errors.ts';
import type { ProducerSecretOptions } from './secret-sealer.ts';

/** Where a writer is in an append, for fault-injection hooks. */
export interface WriteStep {
  topic: string;
  queueId: number;
  /** First offset of the reserved range (afterReserve) or of the segment about to be put (beforePut). */
  firstOffset: number;
  count: number;
}

/**
 * Test hooks for fault injection: the tests use them to kill or pause a writer between
 * reservation and write, and to inject throttling. Production sets only `onSeal` (a metric).
 */
export interface DynamoDbStoreHooks {
  /** Runs after offsets are reserved, before anything is written. Throwing simulates a writer that dies here. */
  afterReserve?(step: WriteStep): Promise<void> | void;
  /** Runs before each conditional segment put. Waiting here simulates a writer that is late. */
  beforePut?(step: WriteStep): Promise<void> | void;
  /** Runs before every DynamoDB request; returning true fails it with ProvisionedThroughputExceededException. */
  throttle?(commandName: string): boolean;
  /** Runs after a reader sealed offsets [from, to) of a queue with tombstones. */
  onSeal?(topic: string, queueId: number, from: number, to: number): void;
  /** Runs between the sweep's remainder write and its floor write. Throwing simulates a sweep that dies there. */
  betweenSweepWrites?(topic: string, queueId: number): Promise<void> | void;
  /** Held messages: runs after HELD -> RELEASING, before the append. Throwing simulates a release that dies here. */
  afterHeldReleasing?(step: { topic: string; msgId: string }): Promise<void> | void;
  /** Held messages: runs after the append, before RELEASED is recorded. */
  afterHeldAppend?(step: { topic: string; msgId: string; queueOffset: number }): Promise<void> | void;
  /** Offset reset: runs after a cursor was set, before the lane's old leases on that queue are dropped. */
  afterResetCursor?(step: { lane: string; topic: string; queueId: number }): Promise<void> | void;
  /**
   * The store's monotonic clock (ms), default `performance.now`: how long a reader has
   * watched a hole and how long a writer has run. Tests on a manual clock pass that clock.
   */
  monotonicNow?(): number;
}

export interface DynamoDbStoreOptions {
  /** DynamoDB endpoint, e.g. DynamoDB Local's `http://127.0.0.1:8000`; absent means AWS. */
  endpoint?: string;
  region?: string;
  /** Table names are `<prefix>-messages`, `<prefix>-state`, `<prefix>-index`, `<prefix>-held` (default prefix `nimbus`). */
  tablePrefix?: string;
  /** A ready client (its middleware stack is used as is); otherwise one is made from endpoint/region. */
  client?: DynamoDBClient;
  /** Claim-check bucket for bodies above `largeBodyBytes`; without it such bodies are refused. */
  s3?: ClaimCheckOptions;
  /** Create missing tables and turn TTL on (tests, local use). The CDK stacks create them on AWS. */
  createTables?: boolean;
  hooks?: DynamoDbStoreHooks;
  /**
   * The store's own clock, for the times it records (reservations, idempotency claims) and
   * the writer lifetime; default `Date.now`. Tests that drive the broker with a manual
   * clock pass the same clock here.
   */
  now?: () => number;
  /** How long a reader waits on a missing offset below the tail before sealing it (default 10 s). */
  holeTimeoutMs?: number;
  /** Bodies larger than this go to S3 (default 256 KiB). */
  largeBodyBytes?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * Seal producer groups' webhook secrets (KMS on AWS); without it they are stored as given.
   * Tests on DynamoDB Local run without it unless they pass one.
   */
  secrets?: ProducerSecretOptions;
}

export const DEFAULT_HOLE_TIMEOUT_MS = 10_000;
export const DEFAULT_LARGE_BODY_BYTES = 256 * 1024;
/** Longest a message lives (DESIGN §1 retention) plus the longest invisible time: the TTL of lease records. */
export const LEASE_LIFETIME_MS = 72 * 3_600_000 + 12 * 3_600_000;
/** Tombstones and dead letters outlive any message they concern by at most this. */
export const RECORD_LIFETIME_MS = 72 * 3_600_000;
/**
 * A writer whose append began longer ago than this (by its own wall and monotonic clocks)
 * stores nothing more and fails its send (retryable), also when the put it just made
 * succeeded: readers rely on it to seal old gaps with one range tombstone (hole-sealer.ts)
 * and the sweep to drop old one-offset tombstones (sweeper.ts).
 */
export const WRITER_LIFETIME_MS = 60_000;
