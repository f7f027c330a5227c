import type { Broker } from '../core/broker.ts';
import {
  PushDelivery,
  type PushRunOptions,
  type PushRunReport,
  type PushSubscription,
  type PushTarget,
} from '../core/push-delivery.ts';
import { pushLockName } from '../core/push-run-lock.ts';
import { PendingNudge, pendingNudgeName } from './pending-nudge.ts';

/** How a run of the driver was started. */
export interface PushDriverStart {
  /** Started by the messages stream: set the pending flag before trying the run lock. */
  nudged: boolean;
  /**
   * A new receive deadline for when the flag is found set after the deadline passed, or
   * undefined when there is no time left (the flag then waits for the next start).
   * @default no new window
   */
  nextDeadline?: () => number | undefined;
}

export interface PushDriverReport extends PushRunReport {
  /** Delivery passes this run made: one, plus one per nudge that came in while it was delivering. */
  passes: number;
}

/**
 * One start of a subscription's push driver, by its schedule or by a nudge from the
 * messages stream. A nudged start marks the subscription's pending flag before it tries
 * the run lock; every start that gets the lock delivers, frees the lock and then takes the
 * flag, delivering again while nudges keep arriving (until the deadline, or in new windows
 * while `nextDeadline` grants them). A nudge that
 * finds a run going thus costs one flag write and is never lost. A run that takes the flag
 * and then finds the lock taken by yet another run puts the flag back for that run: the
 * flag is only ever cleared by a run that delivers after clearing it.
 * @example
 * const report = await runPushDriver(broker, { group: 'billing' }, target, { deadline: Date.now() + 50_000 }, { nudged: true });
 */
export async function runPushDriver(
  broker: Broker,
  subscription: PushSubscription,
  target: PushTarget,
  runOptions: PushRunOptions,
  start: PushDriverStart,
): Promise<PushDriverReport> {
  let options = runOptions;
  const pending = new PendingNudge(broker.store, broker.clock, pendingNudgeName(pushLockName(subscription)));
  if (start.nudged) await pending.mark();
  const delivery = new PushDelivery(broker);
  const total: PushDriverReport = { ...(await delivery.run(subscription, target, options)), passes: 1 };
  // Skipped: the run holding the lock takes the flag after it frees the lock.
  if (total.skipped) return total;
  while (!options.signal?.aborted) {
    if (broker.clock.now() >= options.deadline) {
      // Nudges skipped in this run's last moments left the flag for it, and no other run may
      // come until the schedule's: while the function has time, deliver them in a new window.
      const deadline = start.nextDeadline?.();
      if (deadline === undefined) break;
      options = { ...options, deadline };
    }
    if (!(await pending.take())) break;
    let pass = await delivery.run(subscription, target, options);
    if (pass.skipped) {
      // Another run took the lock after this one freed it, and its last receive may have come
      // before the messages the flag stands for: put the flag back for it to take after its
      // release, then try once more as a nudged start does, in case it freed the lock already.
      await pending.mark();
      pass = await delivery.run(subscription, target, options);
      if (pass.skipped) break;
    }
    addUp(total, pass);
    total.passes++;
    // A pass stops receiving at its deadline, maybe before it saw what the flag stood for
    // (or before its first receive): the flag goes back, for a new window or the next start.
    // (A continuously polling pass always ends there; the schedule's next run follows it.)
    if (!options.pollUntilDeadline && broker.clock.now() >= options.deadline) await pending.mark();
  }
  return total;
}

function addUp(total: PushRunReport, pass: PushRunReport): void {
  total.batches += pass.batches;
  total.delivered += pass.delivered;
  total.acked += pass.acked;
  total.retried += pass.retried;
  total.deadLettered += pass.deadLettered;
  total.stale += pass.stale;
  total.targetErrors += pass.targetErrors;
  if (pass.lastError !== undefined) total.lastError = pass.lastError;
  if (pass.lockLost) total.lockLost = true;
}
