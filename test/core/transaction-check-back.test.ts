import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { type Broker, createBroker } from '../../src/core/broker.ts';
import type { SendResult } from '../../src/core/model.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import type { TransactionCheck, TransactionDecision } from '../../src/core/ports/transaction-checker.ts';
import { decodeTransactionId, encodeTransactionId } from '../../src/core/transaction-id.ts';
import { ManualClock } from '../support/manual-clock.ts';

let open: BrokerStore[] = [];
afterEach(async () => {
  await Promise.all(open.map((store) => store.close()));
  open = [];
});

/** A broker whose checker answers with `answer` (after `delayMs`), recording every check. */
async function setup(answer: (check: TransactionCheck) => TransactionDecision | Promise<TransactionDecision>) {
  const clock = new ManualClock();
  const store = openSqliteStore({ path: ':memory:' });
  open.push(store);
  const checks: TransactionCheck[] = [];
  const broker = createBroker({
    timers: systemTimers,
    store,
    clock,
    ids: randomIds(),
    notifier: new InProcessNotifier(),
    transactionChecker: {
      async check(_group, check) {
        checks.push(check);
        return answer(check);
      },
    },
  });
  await broker.catalog.putTopic('transfers', { messageType: 'TRANSACTION', queueCount: 1 });
  await broker.producerGroups.put('payments', {
    checker: { type: 'lambda', functionArn: 'payments-checker' },
    maxChecks: 2,
  });
  const half = async (text: string) => {
    const [result] = await broker.producer.send('transfers', [
      { body: new TextEncoder().encode(text), producerGroup: 'payments' },
    ]);
    return result?.transactionId ?? '';
  };
  return { broker, store, clock, checks, half };
}

/** `count` half messages of `group` on `transfers`, sent in batches of 30. */
async function halves(broker: Broker, group: string, count: number): Promise<SendResult[]> {
  const results: SendResult[] = [];
  for (let start = 0; start < count; start += 30) {
    const batch = Array.from({ length: Math.min(30, count - start) }, (_, i) => ({
      body: new TextEncoder().encode(`${group}${start + i}`),
      producerGroup: group,
    }));
    results.push(...(await broker.producer.send('transfers', batch)));
  }
  return results;
}

describe('transaction check-back', () => {
  it('two drivers at once with a slow checker: each transaction is checked once per interval', async () => {
    const { broker, clock, checks, half } = await setup(async (): Promise<TransactionDecision> => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 'UNKNOWN';
    });
    for (let i = 0; i < 5; i++) await half(`t${i}`);
    clock.advance(6_000);
    const reports = await Promise.all([broker.transactions.checkDue(), broker.transactions.checkDue()]);
    expect(reports.reduce((sum, report) => sum + report.checked, 0)).toBe(5);
    expect(new Set(checks.map((check) => check.transactionId)).size).toBe(5);
    expect(reports.every((report) => report.nextDueAt === clock.now() + 30_000)).toBe(true);
  });

  it('an SQS wake-up and the sweep at once, and a commit while the checker answers ROLLBACK: asked once, delivered once', async () => {
    let inCall: (() => void) | undefined;
    const called = new Promise<void>((resolve) => {
      inCall = resolve;
    });
    let answer: ((decision: TransactionDecision) => void) | undefined;
    const { broker, store, clock, checks, half } = await setup(
      () =>
        new Promise<TransactionDecision>((resolve) => {
          answer = resolve;
          inCall?.();
        }),
    );
    const id = await half('transfer');
    const { topic, msgId } = decodeTransactionId(id);
    clock.advance(6_000);
    const wakeUp = broker.transactions.checkOne(topic, msgId);
    const sweep = broker.transactions.checkDue();
    await called;
    // The producer commits while the checker is still being asked; its late ROLLBACK loses.
    const committed = await broker.transactions.commit(id);
    answer?.('ROLLBACK');
    const [single, report] = await Promise.all([wakeUp, sweep]);
    expect(checks.map((check) => check.checkAttempt)).toEqual([1]);
    expect(Number(single.checked) + report.checked).toBe(1);
    expect(single.decided).toBeUndefined();
    expect(report.rolledBack).toBe(0);
    expect(await store.getHeld(topic, msgId, clock.now())).toMatchObject({ state: 'RELEASED' });
    const read = await store.readQueue(topic, committed.queueId, 0, 10, clock.now());
    expect(read.messages.map((message) => message.msgId)).toEqual([msgId]);
    await expect(broker.transactions.rollback(id)).rejects.toMatchObject({ code: 'TRANSACTION_COMMITTED' });
    expect(await broker.transactions.commit(id)).toEqual(committed);
  });

  it("a poll check a producer takes while the sweep finds it unanswered stays the producer's to answer", async () => {
    const { broker: producerSide, store, clock } = await setup(() => 'UNKNOWN');
    await producerSide.producerGroups.put('pollers', { checker: { type: 'poll' }, maxChecks: 2 });
    let received: TransactionCheck[] = [];
    let interleaved = false;
    // The sweep's store: right after it lists the due checks, a producer takes the last one.
    const sweepStore = new Proxy(store, {
      get(target, name, receiver) {
        if (name !== 'listDueHeld') return Reflect.get(target, name, receiver);
        return async (...args: Parameters<BrokerStore['listDueHeld']>) => {
          const due = await target.listDueHeld(...args);
          if (!interleaved && due.length > 0) {
            interleaved = true;
            received = await producerSide.transactions.receiveChecks('pollers');
          }
          return due;
        };
      },
    });
    const sweeper = createBroker({
      timers: systemTimers,
      store: sweepStore,
      clock,
      ids: randomIds(),
      notifier: new InProcessNotifier(),
    });
    const [half] = await producerSide.producer.send('transfers', [
      { body: new TextEncoder().encode('t'), producerGroup: 'pollers' },
    ]);
    const id = half?.transactionId ?? '';
    // Nobody polls for two intervals: the first unanswered check is counted.
    clock.advance(6_000 + 30_000);
    interleaved = true;
    await sweeper.transactions.checkDue();
    interleaved = false;
    clock.advance(60_000);
    await sweeper.transactions.checkDue();
    expect(received.map((check) => check.checkAttempt)).toEqual([2]);
    await expect(producerSide.transactions.commit(id)).resolves.toMatchObject({ msgId: half?.msgId });
  });

  it('a checker that throws (or a crash after the lease) waits for the next interval, then the last check rolls back', async () => {
    const { broker, store, clock, checks, half } = await setup(() => {
      throw new Error('checker down');
    });
    const id = await half('x');
    const { topic, msgId } = decodeTransactionId(id);
    clock.advance(6_000);
    expect(await broker.transactions.checkDue()).toMatchObject({ checked: 1, rolledBack: 0 });
    expect(await broker.transactions.checkDue()).toMatchObject({ checked: 0 });
    expect(await store.getHeld(topic, msgId, clock.now())).toMatchObject({ state: 'HELD', checks: 1 });
    clock.advance(30_000);
    expect(await broker.transactions.checkDue()).toMatchObject({ checked: 1, rolledBack: 1 });
    expect(checks.map((check) => check.checkAttempt)).toEqual([1, 2]);
    expect(await store.getHeld(topic, msgId, clock.now())).toMatchObject({
      state: 'CANCELLED',
      reason: 'no decision after 2 check-backs',
    });
    expect(await broker.transactions.checkDue()).toEqual({ checked: 0, committed: 0, rolledBack: 0 });
  });

  it('rolls back, unchecked, the transactions of a producer group that was unregistered', async () => {
    const { broker, store, clock, checks, half } = await setup(() => 'COMMIT');
    const { topic, msgId } = decodeTransactionId(await half('orphan'));
    await broker.producerGroups.delete('payments');
    clock.advance(10_000);
    expect(await broker.transactions.checkDue()).toMatchObject({ checked: 0, rolledBack: 1 });
    expect(checks).toEqual([]);
    expect(await store.getHeld(topic, msgId, clock.now())).toMatchObject({
      state: 'CANCELLED',
      reason: 'the producer group is no longer registered',
    });
  });

  it("one group's waiting checks never hide another's: 300 un-polled poll checks ahead of a webhook group's one", async () => {
    const { broker, clock, checks, half } = await setup(() => 'COMMIT');
    await broker.producerGroups.put('stateless', { checker: { type: 'poll' }, firstCheckAfterMs: 1_000 });
    await halves(broker, 'stateless', 300);
    clock.advance(1_000);
    const late = await half('behind them');
    clock.advance(6_000);
    expect(await broker.transactions.checkDue()).toMatchObject({ checked: 1, committed: 1 });
    expect(checks.map((check) => check.transactionId)).toEqual([late]);
  });

  it("a poll group's receive finds its checks behind 300 of another poll group's", async () => {
    const { broker, clock } = await setup(() => 'UNKNOWN');
    await broker.producerGroups.put('first', { checker: { type: 'poll' }, firstCheckAfterMs: 1_000 });
    await broker.producerGroups.put('second', { checker: { type: 'poll' }, firstCheckAfterMs: 1_000 });
    await halves(broker, 'first', 300);
    clock.advance(1);
    const [mine] = await halves(broker, 'second', 1);
    clock.advance(1_000);
    const checks = await broker.transactions.receiveChecks('second', { maxMessages: 10 });
    expect(checks.map((check) => check.transactionId)).toEqual([mine?.transactionId]);
  });

  it('a poll group nobody polls is rolled back after maxChecks intervals, like an unanswered checker', async () => {
    const { broker, store, clock } = await setup(() => 'COMMIT');
    await broker.producerGroups.put('stateless', {
      checker: { type: 'poll' },
      firstCheckAfterMs: 1_000,
      checkIntervalMs: 10_000,
      maxChecks: 2,
    });
    const [half] = await halves(broker, 'stateless', 1);
    const { topic, msgId } = decodeTransactionId(half?.transactionId ?? '');
    // Due, but a poller may still come within the interval: nothing happens yet.
    clock.advance(1_000);
    expect(await broker.transactions.checkDue()).toMatchObject({ rolledBack: 0 });
    expect(await store.getHeld(topic, msgId, clock.now())).toMatchObject({ state: 'HELD', checks: 0 });
    for (let i = 0; i < 4; i++) {
      clock.advance(10_000);
      await broker.transactions.checkDue();
      await broker.transactions.checkOne(topic, msgId);
    }
    expect(await store.getHeld(topic, msgId, clock.now())).toMatchObject({
      state: 'CANCELLED',
      reason: 'no decision after 2 check-backs',
    });
  });

  it("an id edited to name another group's half message is refused, and an old-format id still works", async () => {
    const { broker, half } = await setup(() => 'UNKNOWN');
    await broker.producerGroups.put('other', { checker: { type: 'poll' } });
    const id = await half('mine');
    const ref = decodeTransactionId(id);
    expect(ref.producerGroup).toBe('payments');
    const forged = encodeTransactionId({ ...ref, producerGroup: 'other' });
    await expect(broker.transactions.commit(forged)).rejects.toMatchObject({ code: 'TRANSACTION_NOT_FOUND' });
    await expect(broker.transactions.rollback(forged)).rejects.toMatchObject({ code: 'TRANSACTION_NOT_FOUND' });
    const unnamed = encodeTransactionId({ topic: ref.topic, msgId: ref.msgId });
    expect(await broker.transactions.commit(unnamed)).toMatchObject({ msgId: ref.msgId });
    expect(await broker.transactions.commit(id)).toMatchObject({ msgId: ref.msgId });
  });

  it('transaction ids name their topic and msgId and refuse anything else', () => {
    const id = encodeTransactionId({ topic: 'transfers', msgId: 'ABC123' });
    expect(decodeTransactionId(id)).toEqual({ topic: 'transfers', msgId: 'ABC123' });
    for (const bad of [
      '',
      'garbage',
      't1~transfers',
      't1~bad topic~ABC',
      't2~transfers~ABC',
      `t1~transfers~${'A'.repeat(65)}`,
    ]) {
      expect(() => decodeTransactionId(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_TRANSACTION_ID' }));
    }
  });
});
