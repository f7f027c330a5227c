import { checkedInt } from './consumer.ts';
import { NimbusError } from './errors.ts';
import type { Clock } from './ports/clock.ts';
import type { Notifier } from './ports/notifier.ts';
import type { BrokerStore, HeldMessage } from './ports/store.ts';
import type { Timers } from './ports/timers.ts';
import type { TransactionCheck, TransactionChecker, TransactionDecision } from './ports/transaction-checker.ts';
import type { ProducerGroup } from './producer-group.ts';
import type { ProducerGroups } from './producer-groups.ts';
import { heldEvent } from './trace-emissions.ts';
import type { Tracer } from './tracer.ts';
import { encodeTransactionId } from './transaction-id.ts';

export interface CheckBackReport {
  /** Check-backs made (checker called). */
  checked: number;
  committed: number;
  rolledBack: number;
  /** When the next check falls due, if any: a driver's next run. */
  nextDueAt?: number;
}

export interface ReceiveChecksOptions {
  /** 1-32, default 10. */
  maxMessages?: number;
  /** Long-poll: wait up to this long (0-20,000 ms, default 0) for a check to fall due. */
  waitMs?: number;
  /** Ends the wait early (the client went away, the server is closing): answers no checks. */
  signal?: AbortSignal;
}

/** Due transactions looked at per round; checker calls in flight at once. */
const CHECK_PAGE = 256;
const CHECK_PARALLEL = 16;
/** Poll-mode checks wait for their producers: the driver looks again after this, not at once. */
const POLL_RECHECK_MS = 1_000;
/** A long-polling receive of checks looks at the store this often. */
const RECEIVE_POLL_MS = 200;
const MAX_WAIT_MS = 20_000;

export const OUT_OF_CHECKS = (maxChecks: number) => `no decision after ${maxChecks} check-backs`;
export const ROLLED_BACK_BY_CHECKER = 'rolled back by the checker';
const GROUP_GONE = 'the producer group is no longer registered';

/**
 * The check-back of undecided transactions. Every check is first leased with the store's
 * compare-and-set on the check count (`rescheduleHeld`), which also sets the next check
 * time: a crash after the lease never re-checks at once, two drivers never check the same
 * transaction twice, and two poll-mode producers never get the same check.
 */
export class TransactionCheckBack {
  private readonly store: BrokerStore;
  private readonly clock: Clock;
  private readonly notifier: Notifier;
  private readonly timers: Timers;
  private readonly producerGroups: ProducerGroups;
  private readonly checker: TransactionChecker | undefined;
  private readonly tracer: Tracer | undefined;

  constructor(deps: {
    store: BrokerStore;
    clock: Clock;
    notifier: Notifier;
    timers: Timers;
    producerGroups: ProducerGroups;
    checker?: TransactionChecker;
    tracer?: Tracer;
  }) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.notifier = deps.notifier;
    this.timers = deps.timers;
    this.producerGroups = deps.producerGroups;
    this.checker = deps.checker;
    this.tracer = deps.tracer;
  }

  /** Checks due transactions, at most `maxCalls` checker calls per run. */
  async checkDue(maxCalls: number): Promise<CheckBackReport> {
    const report: CheckBackReport = { checked: 0, committed: 0, rolledBack: 0 };
    let pollWaiting = false;
    while (report.checked < maxCalls) {
      const due = await this.store.listDueHeld('TRANSACTION', this.clock.now(), CHECK_PAGE);
      const work: { held: HeldMessage; group: ProducerGroup | undefined }[] = [];
      for (const held of due) {
        const group = await this.producerGroups.find(held.message.producerGroup ?? '');
        // Poll-mode checks are handed out by receive; only their running out is handled here.
        if (group?.checker.type === 'poll' && held.checks < group.maxChecks) pollWaiting = true;
        else work.push({ held, group });
      }
      for (let start = 0; start < work.length; start += CHECK_PARALLEL) {
        const outcomes = await Promise.all(
          work.slice(start, start + CHECK_PARALLEL).map(({ held, group }) => this.checkOne(held, group)),
        );
        for (const outcome of outcomes) {
          if (outcome.checked) report.checked++;
          if (outcome.decided === 'COMMIT') report.committed++;
          if (outcome.decided === 'ROLLBACK') report.rolledBack++;
        }
      }
      if (due.length < CHECK_PAGE || work.length === 0) break;
    }
    const now = this.clock.now();
    const next = await this.store.nextHeldDueAt('TRANSACTION', now);
    const nextDueAt = pollWaiting && next !== undefined && next <= now ? now + POLL_RECHECK_MS : next;
    return nextDueAt === undefined ? report : { ...report, nextDueAt };
  }

  async receive(groupName: string, options: ReceiveChecksOptions): Promise<TransactionCheck[]> {
    const group = await this.producerGroups.get(groupName);
    if (group.checker.type !== 'poll') {
      throw new NimbusError(
        'INVALID_ARGUMENT',
        `Producer group "${groupName}" is checked by ${group.checker.type}; only poll groups receive checks.`,
      );
    }
    const maxMessages = checkedInt(options.maxMessages, 10, 1, 32, 'maxMessages');
    const waitMs = checkedInt(options.waitMs, 0, 0, MAX_WAIT_MS, 'waitMs');
    // Real time, not the broker clock: a long-poll waits for the wall clock, and tests that
    // move a manual clock still see it end.
    for (let waited = 0; ; waited += RECEIVE_POLL_MS) {
      // Checked before leasing: checks leased for a caller that is gone would wait a whole interval.
      if (options.signal?.aborted) return [];
      const checks = await this.leaseDue(group, maxMessages);
      if (checks.length > 0 || waited >= waitMs) return checks;
      await new Promise<void>((resolve) => this.timers.setTimeout(resolve, Math.min(RECEIVE_POLL_MS, waitMs - waited)));
    }
  }

  private async leaseDue(group: ProducerGroup, maxMessages: number): Promise<TransactionCheck[]> {
    const now = this.clock.now();
    const due = await this.store.listDueHeld('TRANSACTION', now, CHECK_PAGE);
    const checks: TransactionCheck[] = [];
    for (const held of due) {
      if (checks.length >= maxMessages) break;
      if (held.message.producerGroup !== group.name || held.checks >= group.maxChecks) continue;
      const leased = await this.store.rescheduleHeld(
        held.message.topic,
        held.message.msgId,
        held.checks,
        now + group.checkIntervalMs,
      );
      if (leased) checks.push(checkOf(held, group));
    }
    return checks;
  }

  private async checkOne(
    held: HeldMessage,
    group: ProducerGroup | undefined,
  ): Promise<{ checked: boolean; decided?: 'COMMIT' | 'ROLLBACK' }> {
    const { topic, msgId } = held.message;
    if (!group) return { checked: false, ...(await this.rollBack(held, GROUP_GONE)) };
    if (held.checks >= group.maxChecks)
      return { checked: false, ...(await this.rollBack(held, OUT_OF_CHECKS(group.maxChecks))) };
    // Lease first: the next check is due before the checker is even called.
    const now = this.clock.now();
    if (!(await this.store.rescheduleHeld(topic, msgId, held.checks, now + group.checkIntervalMs))) {
      return { checked: false };
    }
    const decision = await this.ask(group, checkOf(held, group));
    this.tracer?.emit(topic, [heldEvent('CHECKED', held.message, this.clock.now(), { reason: decision })]);
    if (decision === 'COMMIT') {
      const outcome = await this.store.release(topic, msgId, this.clock.now());
      if (outcome.state !== 'RELEASED') return { checked: true };
      const queueOffset = outcome.message.queueOffset;
      this.tracer?.emit(topic, [heldEvent('COMMITTED', held.message, this.clock.now(), { queueOffset })]);
      this.notifier.publish(topic);
      return { checked: true, decided: 'COMMIT' };
    }
    if (decision === 'ROLLBACK') return { checked: true, ...(await this.rollBack(held, ROLLED_BACK_BY_CHECKER)) };
    if (held.checks + 1 >= group.maxChecks) {
      return { checked: true, ...(await this.rollBack(held, OUT_OF_CHECKS(group.maxChecks))) };
    }
    return { checked: true };
  }

  private async ask(group: ProducerGroup, check: TransactionCheck): Promise<TransactionDecision> {
    if (!this.checker) return 'UNKNOWN';
    try {
      return await this.checker.check(group, check);
    } catch {
      return 'UNKNOWN';
    }
  }

  private async rollBack(held: HeldMessage, reason: string): Promise<{ decided?: 'ROLLBACK' }> {
    const { topic, msgId } = held.message;
    const outcome = await this.store.cancelHeld(topic, msgId, reason, this.clock.now());
    if (outcome.state !== 'CANCELLED') return {};
    this.tracer?.emit(topic, [heldEvent('ROLLED_BACK', held.message, this.clock.now(), { reason })]);
    return { decided: 'ROLLBACK' };
  }
}

/** The check a producer sees for a held half message. */
export function checkOf(held: HeldMessage, group: ProducerGroup): TransactionCheck {
  const { message } = held;
  return {
    transactionId: encodeTransactionId(message),
    msgId: message.msgId,
    topic: message.topic,
    producerGroup: group.name,
    checkAttempt: held.checks + 1,
    body: message.body,
    ...(message.tag === undefined ? {} : { tag: message.tag }),
    keys: message.keys,
    properties: message.properties,
  };
}
