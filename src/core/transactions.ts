import { NimbusError } from './errors.ts';
import type { MessageToAppend, SendResult } from './model.ts';
import type { Clock } from './ports/clock.ts';
import type { Notifier } from './ports/notifier.ts';
import type { BrokerStore } from './ports/store.ts';
import type { ReleaseScheduler, Timers } from './ports/timers.ts';
import type { TransactionCheck, TransactionChecker } from './ports/transaction-checker.ts';
import type { ProducerGroups } from './producer-groups.ts';
import { heldEvent } from './trace-emissions.ts';
import type { Tracer } from './tracer.ts';
import {
  type CheckBackReport,
  type ReceiveChecksOptions,
  type SingleCheckReport,
  TransactionCheckBack,
} from './transaction-check-back.ts';
import { decodeTransactionId, encodeTransactionId, type TransactionRef } from './transaction-id.ts';

/** What a commit answers: where the message now is in its queue. */
export interface CommitResult {
  msgId: string;
  topic: string;
  queueId: number;
  queueOffset: number;
}

/** Why a rollback the producer asked for is recorded on the held message. */
export const ROLLED_BACK_BY_PRODUCER = 'rolled back by the producer';

/**
 * Transactional messages (RocketMQ's half messages): a half message is held out of every
 * queue until its producer commits (it is appended once, its offset assigned then) or rolls
 * back (it is discarded). Undecided ones are checked back with the producer group's checker
 * by `checkDue`, which drivers call on time; poll-mode producers fetch their checks with
 * `receiveChecks`. Decisions are idempotent, and the contrary decision afterwards is refused.
 */
export class Transactions {
  private readonly store: BrokerStore;
  private readonly clock: Clock;
  private readonly notifier: Notifier;
  private readonly producerGroups: ProducerGroups;
  private readonly scheduler: ReleaseScheduler | undefined;
  private readonly checkBack: TransactionCheckBack;
  private readonly tracer: Tracer | undefined;

  constructor(deps: {
    store: BrokerStore;
    clock: Clock;
    notifier: Notifier;
    timers: Timers;
    producerGroups: ProducerGroups;
    checker?: TransactionChecker;
    /** Wakes the check-back driver at a half message's first check time. */
    scheduler?: ReleaseScheduler;
    tracer?: Tracer;
  }) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.notifier = deps.notifier;
    this.producerGroups = deps.producerGroups;
    this.scheduler = deps.scheduler;
    this.checkBack = new TransactionCheckBack(deps);
    this.tracer = deps.tracer;
  }

  /**
   * Holds validated half messages of a TRANSACTION topic for `producerGroup` (which must be
   * registered); their first check-back falls due after the group's `firstCheckAfterMs`.
   * @example
   * const [half] = await transactions.hold(records, 'payments'); // half.transactionId
   */
  async hold(records: readonly MessageToAppend[], producerGroup: string): Promise<SendResult[]> {
    const group = await this.producerGroups.get(producerGroup);
    const dueAt = this.clock.now() + group.firstCheckAfterMs;
    const results = await this.store.hold(
      records.map((message) => ({ kind: 'TRANSACTION', message: { ...message, producerGroup }, dueAt })),
    );
    const fresh = results.filter((result) => !result.duplicate);
    this.tracer?.emit(
      fresh[0]?.held.message.topic ?? '',
      fresh.map(({ held }) => heldEvent('PREPARED', held.message, held.message.storeTimestamp)),
    );
    if (fresh.length > 0 && this.scheduler) {
      const wake = fresh.map(({ held }) => ({ topic: held.message.topic, msgId: held.message.msgId, dueAt }));
      // Held durably already: a missed wake-up only makes the driver's next sweep find them.
      await this.scheduler.schedule(wake).catch(() => undefined);
    }
    return results.map(({ held, duplicate }) => ({
      msgId: held.message.msgId,
      topic: held.message.topic,
      transactionId: encodeTransactionId(held.message),
      duplicate,
    }));
  }

  /**
   * Commits: the half message is appended to its queue exactly once and becomes visible.
   * A repeated commit answers the same; after a rollback it is TRANSACTION_ROLLED_BACK.
   * @example
   * const { queueId, queueOffset } = await transactions.commit(half.transactionId);
   */
  async commit(transactionId: string): Promise<CommitResult> {
    const ref = await this.find(transactionId);
    const outcome = await this.release(ref);
    if (outcome.state === 'RELEASED') return outcome.result;
    if (outcome.state === 'CANCELLED') {
      throw new NimbusError(
        'TRANSACTION_ROLLED_BACK',
        `Transaction ${transactionId} was rolled back (${outcome.reason}); it cannot be committed.`,
      );
    }
    throw notFound(transactionId);
  }

  /**
   * Rolls back: the half message is discarded, never delivered. A repeated rollback answers
   * the same; after a commit it is TRANSACTION_COMMITTED.
   * @example
   * await transactions.rollback(half.transactionId);
   */
  async rollback(transactionId: string): Promise<void> {
    const ref = await this.find(transactionId);
    const outcome = await this.store.cancelHeld(ref.topic, ref.msgId, ROLLED_BACK_BY_PRODUCER, this.clock.now());
    if (outcome.state === 'CANCELLED') {
      this.tracer?.emit(ref.topic, [
        heldEvent('ROLLED_BACK', outcome.held.message, this.clock.now(), { reason: ROLLED_BACK_BY_PRODUCER }),
      ]);
    }
    if (outcome.state === 'RELEASED') {
      throw new NimbusError(
        'TRANSACTION_COMMITTED',
        `Transaction ${transactionId} was committed; it cannot be rolled back.`,
      );
    }
    if (outcome.state === 'NOT_FOUND') throw notFound(transactionId);
  }

  /**
   * Checks back every undecided transaction whose check is due (webhook and Lambda
   * checkers), and rolls back those out of checks. Safe to run twice at once: each check is
   * taken by one run. Drivers call it at `nextDueAt`.
   * @example
   * const { checked, committed, rolledBack, nextDueAt } = await transactions.checkDue();
   */
  checkDue(maxCalls = 1_000): Promise<CheckBackReport> {
    return this.checkBack.checkDue(maxCalls);
  }

  /**
   * Checks one transaction if its check is due (webhook and Lambda checkers; rolls it back
   * when out of checks) and answers when it must be looked at again: the AWS check-back
   * function's work for one wake-up. Early, repeated or late wake-ups check nothing.
   * @example
   * const { nextDueAt } = await transactions.checkOne('transfers', msgId);
   */
  checkOne(topic: string, msgId: string): Promise<SingleCheckReport> {
    return this.checkBack.checkOne(topic, msgId);
  }

  /**
   * Hands the due checks of a poll-mode producer group to one caller (each leased to it
   * until the group's next check time), waiting up to `waitMs` for one to fall due.
   * @example
   * const checks = await transactions.receiveChecks('payments', { maxMessages: 10, waitMs: 5_000 });
   */
  receiveChecks(producerGroup: string, options: ReceiveChecksOptions = {}): Promise<TransactionCheck[]> {
    return this.checkBack.receive(producerGroup, options);
  }

  /** The held TRANSACTION record a transaction id names, or TRANSACTION_NOT_FOUND. */
  private async find(transactionId: string): Promise<TransactionRef> {
    const ref = decodeTransactionId(transactionId);
    const held = await this.store.getHeld(ref.topic, ref.msgId, this.clock.now());
    if (held?.kind !== 'TRANSACTION') throw notFound(transactionId);
    // An id edited to name another group's half message names no transaction of this group.
    if (ref.producerGroup !== undefined && held.message.producerGroup !== ref.producerGroup) {
      throw notFound(transactionId);
    }
    return ref;
  }

  private async release(ref: TransactionRef): Promise<ReleaseAnswer> {
    const outcome = await this.store.release(ref.topic, ref.msgId, this.clock.now());
    if (outcome.state === 'NOT_FOUND') return { state: 'NOT_FOUND' };
    if (outcome.state === 'CANCELLED') return { state: 'CANCELLED', reason: outcome.held.reason ?? 'rolled back' };
    this.notifier.publish(ref.topic);
    const { message } = outcome;
    this.tracer?.emit(ref.topic, [
      heldEvent('COMMITTED', outcome.held.message, this.clock.now(), { queueOffset: message.queueOffset }),
    ]);
    return {
      state: 'RELEASED',
      result: {
        msgId: message.msgId,
        topic: message.topic,
        queueId: message.queueId,
        queueOffset: message.queueOffset,
      },
    };
  }
}

type ReleaseAnswer =
  | { state: 'RELEASED'; result: CommitResult }
  | { state: 'CANCELLED'; reason: string }
  | { state: 'NOT_FOUND' };

function notFound(transactionId: string): NimbusError {
  return new NimbusError('TRANSACTION_NOT_FOUND', `Transaction ${transactionId.slice(0, 160)} does not exist.`);
}
