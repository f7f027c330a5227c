import { deadLetterFor } from './dead-letter-entry.ts';
import type { Group, StoredMessage } from './model.ts';
import type { BrokerStore, Lease } from './ports/store.ts';
import { leaseEvent } from './trace-emissions.ts';
import type { TraceEmission } from './tracer.ts';

/** What became of a used-up lease: gone with its expired message, dead-lettered, or taken by someone else first. */
export type Disposal = 'dropped' | 'dead-lettered' | 'stale';

/** Where a disposal's trace event goes: a tracer, or the events of a receive pass. */
export type DisposalTrace = (emission: TraceEmission) => void;

/**
 * Disposes of a lease that will not be delivered again: its message expired (retention),
 * so the lease is dropped; or its last delivery attempt is used up, so the message goes to
 * the group's dead-letter queue. Both writes are fenced by the lease token: a receive or a
 * settlement racing for the same lease disposes of it or delivers it, never both.
 *
 * It also unblocks the message group of an orderly lane: the next lease of the group (the
 * one with the lowest offset left) is deliverable as soon as this one is gone, so there is
 * no second write a crash could lose.
 *
 * A dead-lettering is traced (DEAD_LETTERED, with its reason) through `trace`: every path
 * that disposes of leases (receive, nack, the lease-expiry sweep) records it the same way.
 * @example
 * const [message] = await store.getMessages([lease], now);
 * await disposeOfLease(store, group, lease, message, now, unacknowledged(lease.attempt), (e) => tracer.emit(lease.topic, [e]));
 */
export async function disposeOfLease(
  store: BrokerStore,
  group: Group,
  lease: Lease,
  message: StoredMessage | undefined,
  now: number,
  reason: string,
  trace?: DisposalTrace,
): Promise<Disposal> {
  if (!message) {
    const [dropped] = await store.deleteLeases([{ key: lease, token: lease.token }]);
    return dropped ? 'dropped' : 'stale';
  }
  const moved = await store.deadLetter(lease, lease.token, deadLetterFor(group.name, lease, now, reason));
  if (!moved) return 'stale';
  trace?.({
    ...leaseEvent('DEAD_LETTERED', lease, now, { attempt: lease.attempt, reason }),
    expireAt: message.expireAt,
  });
  return 'dead-lettered';
}
