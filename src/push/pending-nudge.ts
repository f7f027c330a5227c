import type { Clock } from '../core/ports/clock.ts';
import type { LockStore } from '../core/ports/lock-store.ts';

/** The owner every nudge writes: marks from any number of nudges are one flag. */
const MARK_OWNER = 'nudge';
/** Whoever looks at the flag writes an expired record under this owner, so the look never blocks a mark. */
const PROBE_OWNER = 'probe';
/** A mark nobody took (its driver died) still lives this long; the next run of the subscription takes it. */
const MARK_LIFETIME_MS = 15 * 60_000;

/** The flag's name beside the subscription's run lock (`push:<lane>`). */
export function pendingNudgeName(runLockName: string): string {
  return `${runLockName}:pending`;
}

/**
 * "New messages arrived while a run may have been going" for one push subscription, kept
 * as a named lock record, so a nudge that finds the run lock held is not lost. A nudged
 * driver marks the flag before it tries the run lock; every run, after it frees the run
 * lock, takes the flag and runs again when it was set. A nudge that marks after that look
 * found the run lock already free and ran itself, so no order of the two loses a message.
 * @example
 * const flag = new PendingNudge(broker.store, broker.clock, pendingNudgeName('push:billing'));
 * await flag.mark();
 * if (await flag.take()) await runAgain();
 */
export class PendingNudge {
  private readonly store: LockStore;
  private readonly clock: Clock;
  private readonly name: string;

  constructor(store: LockStore, clock: Clock, name: string) {
    this.store = store;
    this.clock = clock;
    this.name = name;
  }

  /** Sets the flag (idempotent: every nudge is the same owner, so a mark renews a mark). */
  async mark(): Promise<void> {
    const now = this.clock.now();
    // Only a live record of another owner refuses a mark, and probes write expired records.
    await this.store.acquireLock(this.name, MARK_OWNER, now + MARK_LIFETIME_MS, now);
  }

  /** True when the flag was set, and clears it; false when it was not. */
  async take(): Promise<boolean> {
    const now = this.clock.now();
    // Expired from the start (expiry 1 ms after the epoch), so no clock skew lets the probe block a later mark.
    const free = await this.store.acquireLock(this.name, PROBE_OWNER, 1, now);
    if (free) return false;
    await this.store.releaseLock(this.name, MARK_OWNER);
    return true;
  }
}
