import { unacknowledged } from './dead-letter-entry.ts';
import { disposeOfLease } from './lease-disposal.ts';
import type { Group } from './model.ts';
import type { BrokerStore, Lease } from './ports/store.ts';
import { fits, hand, type Pass, toReceived } from './receive-pass.ts';
import { laneFields, positionSubject, type TraceEventType } from './trace-event.ts';

/** Messages loaded at once where bodies may be large (up to 4 MiB each). */
export const LARGE_BODY_PAGE = 8;

/**
 * Due leases: unacked messages whose invisible time passed, or nacked ones whose delay
 * passed. Leases that are only disposed of (expired, or dead-lettered at their last
 * attempt) do not use up the receive: it reads on, so deliverable ones behind them go out now.
 */
export async function redeliver(
  store: BrokerStore,
  now: number,
  newToken: () => string,
  group: Group,
  lane: string,
  max: number,
  invisibleMs: number,
  pass: Pass,
): Promise<void> {
  while (pass.messages.length < max && pass.budget > 0 && !pass.full) {
    // With a body budget, bodies may be large: load a few at a time, not a whole batch of 4 MiB ones.
    const page = Number.isFinite(pass.maxBodyBytes) ? LARGE_BODY_PAGE : max;
    const wanted = Math.min(max - pass.messages.length, page);
    const due = await store.dueLeases(lane, now, wanted);
    if (due.length === 0) return;
    pass.budget -= due.length;
    // Leases of an orderly lane's message groups go out in offset order: the ordered receive
    // of their queue hands them out (see ordered-receive.ts), never this one.
    const unordered = group.orderly ? due.filter((lease) => lease.messageGroup === undefined) : due;
    if (unordered.length === 0) return;
    const messages = await store.getMessages(unordered, now);
    for (const [i, lease] of unordered.entries()) {
      const message = messages[i];
      // Expired by retention while waiting for redelivery (never deliver it), or out of attempts.
      if (!message || lease.attempt >= group.maxDeliveryAttempts) {
        const reason = unacknowledged(lease.attempt);
        await disposeOfLease(store, group, lease, message, now, reason, (emission) => pass.events?.push(emission));
        continue;
      }
      if (!fits(pass, 0, 0, message.body)) {
        // Left due: the next receive redelivers it.
        pass.full = true;
        return;
      }
      const update = { attempt: lease.attempt + 1, visibleAt: now + invisibleMs, token: newToken() };
      if (await store.updateLease(lease, lease.token, update)) {
        // A lease at attempt 0 was never handed out (a redriven dead letter): nothing expired.
        if (lease.attempt > 0) traceLease(pass, 'INVISIBLE_EXPIRED', lease, now);
        hand(pass, toReceived(message, { ...lease, ...update }));
      }
    }
    // Fewer due than asked for: none is left.
    if (due.length < wanted) return;
  }
}

/** Notes a lease's trace event for the receive to emit. */
function traceLease(pass: Pass, type: TraceEventType, lease: Lease, time: number): void {
  const { queueId, queueOffset, attempt } = lease;
  pass.events?.push({
    subject: positionSubject(lease.topic, queueId, queueOffset),
    event: { type, time, ...laneFields(lease.consumer), attempt, queueId, queueOffset },
  });
}
