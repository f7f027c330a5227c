import { checkedInt } from './consumer.ts';
import { NimbusError } from './errors.ts';
import type { Clock } from './ports/clock.ts';
import type { Notifier } from './ports/notifier.ts';
import type { BrokerStore, DuePosition, HeldMessage } from './ports/store.ts';
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

/** What checking one transaction did, and when it must be looked at again (if ever). */
export interface SingleCheckReport {
  checked: boolean;
  decided?: 'COMMIT' | 'ROLLBACK';
  /** Still undecided: its next check time (poll groups: when to see whether a producer took it). */
  nextDueAt?: number;
}

export interface ReceiveChecksOptions {
  /** 1-32, default 10. */
  maxMessages?: number;
  /** Long-poll: wait up to this long (0-20,000 ms, default 0) for a check to fall due. */
  waitMs?: number;
  /** Only checks of these topics (a caller allowed to see only these bodies). Default: every topic. */
  topics?: readonly string[];
  /** Ends the wait early (the client went away, the server is closing): answers no checks. */
  signal?: AbortSignal;
}

/** Due transactions looked at per round; checker calls in flight at once. */
const CHECK_PAGE = 256;
/** Pages of due transactions one receive looks through for its group's checks (4,096 transactions). */
const RECEIVE_PAGES = 16;
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
    // Paged with a cursor: checks waiting for poll-mode producers stay due, and must not
    // hide the checks of other groups behind them.
    let after: DuePosition | undefined;
    const now = this.clock.now();
    while (report.checked < maxCalls) {
      const due = await this.store.listDueHeld('TRANSACTION', now, CHECK_PAGE, after);
      if (due.length === 0) break;
      after = positionOf(due[due.length - 1] as HeldMessage);
      const work: { held: HeldMessage; group: ProducerGroup | undefined }[] = [];
      for (const held of due) {
        const group = await this.producerGroups.find(held.message.producerGroup ?? '');
        // Poll-mode checks are handed out by receive; only their running out is handled here.
        if (group?.checker.type === 'poll' && held.checks < group.maxChecks) {
          if ((await this.lapsePollCheck(held, group, now)) === 'ROLLBACK') report.rolledBack++;
          else pollWaiting = true;
        } else work.push({ held, group });
      }
      for (let start = 0; start < work.length; start += CHECK_PARALLEL) {
        const outcomes = await Promise.all(
          work.slice(start, start + CHECK_PARALLEL).map(({ held, group }) => this.checkHeld(held, group)),
        );
        for (const outcome of outcomes) {
          if (outcome.checked) report.checked++;
          if (outcome.decided === 'COMMIT') report.committed++;
          if (outcome.decided === 'ROLLBACK') report.rolledBack++;
        }
      }
    }
    const end = this.clock.now();
    const next = await this.store.nextHeldDueAt('TRANSACTION', end);
    const nextDueAt = pollWaiting && next !== undefined && next <= end ? end + POLL_RECHECK_MS : next;
    return nextDueAt === undefined ? report : { ...report, nextDueAt };
  }

  /**
   * Checks one transaction if its check is due: the work of one AWS wake-up. A wake-up that
   * comes early, twice, or after the decision checks nothing and only says when to look again.
   */
  async checkOne(topic: string, msgId: string): Promise<SingleCheckReport> {
    const now = this.clock.now();
    const held = await this.store.getHeld(topic, msgId, now);
    if (held?.kind !== 'TRANSACTION' || held.state !== 'HELD') return { checked: false };
    if (held.dueAt > now) return { checked: false, nextDueAt: held.dueAt };
    const group = await this.producerGroups.find(held.message.producerGroup ?? '');
    // A poll group's producers lease their checks; look again once they should have.
    if (group?.checker.type === 'poll' && held.checks < group.maxChecks) {
      if ((await this.lapsePollCheck(held, group, now)) === 'ROLLBACK') return { checked: false, decided: 'ROLLBACK' };
      return { checked: false, nextDueAt: now + group.checkIntervalMs };
    }
    const outcome = await this.checkHeld(held, group);
    if (outcome.decided) return outcome;
    const after = await this.store.getHeld(topic, msgId, this.clock.now());
    return after?.state === 'HELD' ? { ...outcome, nextDueAt: after.dueAt } : outcome;
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
    const topics = options.topics === undefined ? undefined : new Set(options.topics);
    const waitMs = checkedInt(options.waitMs, 0, 0, MAX_WAIT_MS, 'waitMs');
    // Real time, not the broker clock: a long-poll waits for the wall clock, and tests that
    // move a manual clock still see it end.
    for (let waited = 0; ; waited += RECEIVE_POLL_MS) {
      // Checked before leasing: checks leased for a caller that is gone would wait a whole interval.
      if (options.signal?.aborted) return [];
      const checks = await this.leaseDue(group, maxMessages, topics);
      if (checks.length > 0 || waited >= waitMs) return checks;
      await new Promise<void>((resolve) => this.timers.setTimeout(resolve, Math.min(RECEIVE_POLL_MS, waitMs - waited)));
    }
  }

  private async leaseDue(
    group: ProducerGroup,
    maxMessages: number,
    topics: ReadonlySet<string> | undefined,
  ): Promise<TransactionCheck[]> {
    const now = this.clock.now();
    const checks: TransactionCheck[] = [];
    // Paged with a cursor, so other groups' due checks never hide this group's (bounded per call).
    let after: DuePosition | undefined;
    for (let page = 0; page < RECEIVE_PAGES && checks.length < maxMessages; page++) {
      const due = await this.store.listDueHeld('TRANSACTION', now, CHECK_PAGE, after);
      if (due.length === 0) break;
      after = positionOf(due[due.length - 1] as HeldMessage);
      for (const held of due) {
        if (checks.length >= maxMessages) break;
        if (held.message.producerGroup !== group.name || held.checks >= group.maxChecks) continue;
        if (topics && !topics.has(held.message.topic)) continue;
        const leased = await this.store.rescheduleHeld(
          held.message.topic,
          held.message.msgId,
          held.checks,
          now + group.checkIntervalMs,
        );
        if (leased) checks.push(checkOf(held, group));
      }
    }
    return checks;
  }

  private async checkHeld(held: HeldMessage, group: ProducerGroup | undefined): Promise<SingleCheckReport> {
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

  /**
   * A poll check nobody took for a whole interval counts as a check answered UNKNOWN (as an
   * unreachable webhook does), so a transaction whose producers are all gone is rolled back
   * after `maxChecks` intervals instead of waiting out its retention.
   */
  private async lapsePollCheck(held: HeldMessage, group: ProducerGroup, now: number): Promise<'ROLLBACK' | undefined> {
    if (now < held.dueAt + group.checkIntervalMs) return undefined;
    const { topic, msgId } = held.message;
    // Counted with the same compare-and-set as a producer's lease: a producer that took the
    // check since it was listed keeps it (and its answer), instead of losing it to a rollback.
    if (!(await this.store.rescheduleHeld(topic, msgId, held.checks, now + group.checkIntervalMs))) return undefined;
    if (held.checks + 1 >= group.maxChecks) return (await this.rollBack(held, OUT_OF_CHECKS(group.maxChecks))).decided;
    return undefined;
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

function positionOf(held: HeldMessage): DuePosition {
  return { dueAt: held.dueAt, topic: held.message.topic, msgId: held.message.msgId };
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
