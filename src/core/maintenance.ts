import { LARGE_BODY_PAGE } from './consumer.ts';
import { unacknowledged } from './dead-letter-entry.ts';
import { disposeOfLease } from './lease-disposal.ts';
import type { Group } from './model.ts';
import type { Clock } from './ports/clock.ts';
import type { BrokerStore, Lease } from './ports/store.ts';
import type { TraceEmission, Tracer } from './tracer.ts';

/**
 * Background work that does not belong to a request: the retention sweep and the disposal
 * of leases nobody received again. Drivers call it: an in-process loop in embedded mode, a
 * schedule on AWS. Idempotent.
 */
export class Maintenance {
  private readonly store: BrokerStore;
  private readonly clock: Clock;
  private readonly tracer: Tracer | undefined;

  constructor(store: BrokerStore, clock: Clock, tracer?: Tracer) {
    this.store = store;
    this.clock = clock;
    this.tracer = tracer;
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

  /**
   * Dead-letters messages whose last delivery attempt ran out unacked, without waiting for
   * the next receive: a clustering group whose consumers stopped still gets them into its
   * dead-letter queue (and its DLQ alarm) instead of losing them to retention. Leases of
   * messages expired meanwhile are dropped. A receive or another run racing for the same
   * lease is settled by the lease token: the message is handed out or dead-lettered once.
   * Broadcasting lanes are left to their clients' receives. Each dead-lettering is traced
   * (DEAD_LETTERED), like one by a receive or a nack. Returns the dead-lettered count.
   * @example
   * const deadLettered = await maintenance.deadLetterExhausted();
   */
  async deadLetterExhausted(leasesPerGroup = 1_000): Promise<number> {
    let deadLettered = 0;
    for (const group of await this.store.listGroups()) {
      if (group.consumeMode !== 'CLUSTERING') continue;
      const now = this.clock.now();
      const due = await this.store.dueLeases(group.name, now, leasesPerGroup);
      const exhausted = due.filter((lease) => lease.attempt >= group.maxDeliveryAttempts);
      if (exhausted.length === 0) continue;
      // Loaded a few at a time: bodies come with them, up to 4 MiB each.
      for (let start = 0; start < exhausted.length; start += LARGE_BODY_PAGE) {
        deadLettered += await this.deadLetterLeases(group, exhausted.slice(start, start + LARGE_BODY_PAGE), now);
      }
    }
    return deadLettered;
  }

  private async deadLetterLeases(group: Group, leases: readonly Lease[], now: number): Promise<number> {
    let deadLettered = 0;
    const messages = await this.store.getMessages(leases, now);
    for (const [i, lease] of leases.entries()) {
      const reason = unacknowledged(lease.attempt);
      const trace = (emission: TraceEmission) => this.tracer?.emit(lease.topic, [emission]);
      const disposal = await disposeOfLease(this.store, group, lease, messages[i], now, reason, trace);
      if (disposal === 'dead-lettered') deadLettered++;
    }
    return deadLettered;
  }
}
