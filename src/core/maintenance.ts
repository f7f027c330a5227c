import type { Clock } from './ports/clock.ts';
import type { BrokerStore } from './ports/store.ts';

/**
 * Background work that does not belong to a request: the retention sweep. Drivers call
 * it: an in-process loop in embedded mode, a schedule on AWS. Idempotent.
 */
export class Maintenance {
  private readonly store: BrokerStore;
  private readonly clock: Clock;

  constructor(store: BrokerStore, clock: Clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * Removes expired messages in pages until none is left or `maxMessages` is reached.
   * Readers already skip expired messages, so this only reclaims space.
   * @example
   * const removed = await maintenance.sweepRetention();
   */
  async sweepRetention(maxMessages = 100_000, pageSize = 1_000): Promise<number> {
    let removed = 0;
    while (removed < maxMessages) {
      const n = await this.store.sweepExpired(this.clock.now(), Math.min(pageSize, maxMessages - removed));
      removed += n;
      if (n === 0) break;
    }
    return removed;
  }
}
