import type { Clock } from './ports/clock.ts';
import type { BrokerStore } from './ports/store.ts';
import type { TimerHandle, Timers } from './ports/timers.ts';

/** The lock of a push subscription: one per lane (`group`, or `group@clientId` for a broadcasting instance). */
export function pushLockName(subscription: { group: string; clientId?: string }): string {
  return subscription.clientId === undefined
    ? `push:${subscription.group}`
    : `push:${subscription.group}@${subscription.clientId}`;
}

/**
 * Keeps runs of one push subscription from overlapping, so its `maxConcurrency` bounds the
 * invocations in flight across runs too. A run holds the lock until its receive deadline
 * plus one batch lifetime (the invisible duration): the last batch it receives is settled or
 * handed out again by then. A batch that outlives that (its target runs longer than the
 * invisible duration) keeps the lock renewed while the run lasts, so the next run does not
 * add invocations beside it. A driver that dies holds the lock until it expires; its
 * batches stay invisible about as long.
 * @example
 * const lock = new PushRunLock({ store, clock, timers, name: pushLockName({ group: 'billing' }), owner: ids.token(), batchLifetimeMs: 300_000 });
 * if (await lock.acquire(deadline)) {
 *   lock.keepAlive(10_000);
 *   try { await deliver(); } finally { await lock.release(); }
 * }
 */
export class PushRunLock {
  readonly name: string;
  private readonly store: BrokerStore;
  private readonly clock: Clock;
  private readonly owner: string;
  private readonly batchLifetimeMs: number;
  private heldUntil = 0;
  private lostToAnotherRun = false;
  private renewal: Promise<void> | undefined;
  private ticker: TimerHandle | undefined;
  private readonly timers: Timers;

  constructor(deps: {
    store: BrokerStore;
    clock: Clock;
    timers: Timers;
    name: string;
    owner: string;
    batchLifetimeMs: number;
  }) {
    this.timers = deps.timers;
    this.store = deps.store;
    this.clock = deps.clock;
    this.name = deps.name;
    this.owner = deps.owner;
    this.batchLifetimeMs = deps.batchLifetimeMs;
  }

  /** Takes the lock until `deadline` plus one batch lifetime; false while another run holds it. */
  async acquire(deadline: number): Promise<boolean> {
    const expiresAt = Math.max(deadline, this.clock.now()) + this.batchLifetimeMs;
    const acquired = await this.store.acquireLock(this.name, this.owner, expiresAt, this.clock.now());
    if (acquired) this.heldUntil = expiresAt;
    return acquired;
  }

  /**
   * Checks every `intervalMs` (real time) and renews the lock for another batch lifetime
   * once less than half of one is left. Normal runs end long before that and write nothing.
   */
  keepAlive(intervalMs: number): void {
    this.ticker = this.timers.setInterval(() => this.renewIfDue(), intervalMs);
  }

  /** True once a renewal found another run holding the lock: this run stalled past its expiry. */
  get lost(): boolean {
    return this.lostToAnotherRun;
  }

  /** Stops renewing and frees the lock (if still this run's). Never throws: an unreleased lock expires. */
  async release(): Promise<void> {
    this.timers.clear(this.ticker);
    // A renewal still on its way would take the lock again after the release.
    await this.renewal;
    try {
      await this.store.releaseLock(this.name, this.owner);
    } catch {
      // The store is unreachable: the lock frees itself at its expiry, which only delays the next run.
    }
  }

  private renewIfDue(): void {
    if (this.renewal || this.lostToAnotherRun) return;
    const now = this.clock.now();
    if (now < this.heldUntil - this.batchLifetimeMs / 2) return;
    const expiresAt = now + this.batchLifetimeMs;
    this.renewal = this.store
      .acquireLock(this.name, this.owner, expiresAt, now)
      .then(
        (renewed) => {
          if (renewed) this.heldUntil = expiresAt;
          else this.lostToAnotherRun = true;
        },
        () => {
          // A failed renewal is tried again on the next tick; the lock holds until its last expiry.
        },
      )
      .finally(() => {
        this.renewal = undefined;
      });
  }
}
