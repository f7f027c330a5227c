import { deadLetterFor } from './dead-letter-entry.ts';
import type { Group, StoredMessage } from './model.ts';
import type { BrokerStore, Lease } from './ports/store.ts';

/** What became of a used-up lease: gone with its expired message, dead-lettered, or taken by someone else first. */
export type Disposal = 'dropped' | 'dead-lettered' | 'stale';

/**
 * Disposes of a lease that will not be delivered again: its message expired (retention),
 * so the lease is dropped; or its last delivery attempt is used up, so the message goes to
 * the group's dead-letter queue. Both writes are fenced by the lease token: a receive or a
 * settlement racing for the same lease disposes of it or delivers it, never both.
 *
 * It also unblocks the message group of an orderly lane: the next lease of the group (the
 * one with the lowest offset left) is deliverable as soon as this one is gone, so there is
 * no second write a crash could lose.
 * @example
 * const [message] = await store.getMessages([lease], now);
 * await disposeOfLease(store, group, lease, message, now, unacknowledged(lease.attempt));
 */
export async function disposeOfLease(
  store: BrokerStore,
  group: Group,
  lease: Lease,
  message: StoredMessage | undefined,
  now: number,
  reason: string,
): Promise<Disposal> {
  if (!message) {
    const [dropped] = await store.deleteLeases([{ key: lease, token: lease.token }]);
    return dropped ? 'dropped' : 'stale';
  }
  const moved = await store.deadLetter(lease, lease.token, deadLetterFor(group.name, lease, now, reason));
  return moved ? 'dead-lettered' : 'stale';
}
