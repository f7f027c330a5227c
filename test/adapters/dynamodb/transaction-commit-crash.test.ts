import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbStore } from '../../../src/adapters/dynamodb/index.ts';
import { InProcessNotifier } from '../../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../../src/adapters/system/system-timers.ts';
import { type Broker, createBroker } from '../../../src/core/broker.ts';
import type { TransactionCheck } from '../../../src/core/ports/transaction-checker.ts';
import { decodeTransactionId } from '../../../src/core/transaction-id.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

function brokerOn(store: DynamoDbStore, clock: ManualClock, checks: TransactionCheck[]): Broker {
  return createBroker({
    store,
    clock,
    ids: randomIds(),
    notifier: new InProcessNotifier(),
    timers: systemTimers,
    transactionChecker: {
      async check(_group, check) {
        checks.push(check);
        return 'UNKNOWN';
      },
    },
  });
}

/**
 * A commit function that dies after HELD -> RELEASING and before the append, and whose
 * producer never retries: the commit was decided, so the check-back must finish it (the
 * message delivered once) instead of leaving it due for good or rolling it back.
 */
describe('DynamoDB: a commit that dies between RELEASING and the append', () => {
  it('is finished by the next check-back, and the message is in its queue once', async () => {
    const tablePrefix = `x${randomBytes(4).toString('hex')}`;
    const clock = new ManualClock(Date.now());
    const checks: TransactionCheck[] = [];
    const healthyStore = await aws.openStore({ tablePrefix, now: () => clock.now() });
    const crashingStore = await aws.openStore({
      tablePrefix,
      now: () => clock.now(),
      hooks: {
        afterHeldReleasing: () => {
          throw new Error('commit died here');
        },
      },
    });
    const healthy = brokerOn(healthyStore, clock, checks);
    const crashing = brokerOn(crashingStore, clock, checks);
    await healthy.catalog.putTopic('transfers', { messageType: 'TRANSACTION', queueCount: 1 });
    await healthy.producerGroups.put('payments', {
      checker: { type: 'lambda', functionArn: 'payments-checker' },
      maxChecks: 2,
    });
    const [half] = await healthy.producer.send('transfers', [
      { body: new TextEncoder().encode('transfer 1'), producerGroup: 'payments' },
    ]);
    const transactionId = half?.transactionId ?? '';
    await expect(crashing.transactions.commit(transactionId)).rejects.toThrow('commit died here');

    const { msgId } = decodeTransactionId(transactionId);
    for (let run = 0; run < 3; run++) {
      clock.advance(31_000);
      await healthy.transactions.checkDue();
      await healthy.transactions.checkOne('transfers', msgId);
    }
    // The decided commit is never put to the checker, nor rolled back as out of checks.
    expect(checks).toEqual([]);
    await expectCommittedOnce(healthy, healthyStore, clock, transactionId);
  });

  it('is finished, not rolled back, when its poll group is out of checks', async () => {
    const tablePrefix = `x${randomBytes(4).toString('hex')}`;
    const clock = new ManualClock(Date.now());
    const healthyStore = await aws.openStore({ tablePrefix, now: () => clock.now() });
    const crashingStore = await aws.openStore({
      tablePrefix,
      now: () => clock.now(),
      hooks: {
        afterHeldReleasing: () => {
          throw new Error('commit died here');
        },
      },
    });
    const healthy = brokerOn(healthyStore, clock, []);
    const crashing = brokerOn(crashingStore, clock, []);
    await healthy.catalog.putTopic('transfers', { messageType: 'TRANSACTION', queueCount: 1 });
    await healthy.producerGroups.put('payments', { checker: { type: 'poll' }, maxChecks: 1 });
    const [half] = await healthy.producer.send('transfers', [
      { body: new TextEncoder().encode('transfer 2'), producerGroup: 'payments' },
    ]);
    const transactionId = half?.transactionId ?? '';
    clock.advance(6_000);
    // The producer takes its one check, commits, and its commit dies half-way.
    expect(await healthy.transactions.receiveChecks('payments')).toHaveLength(1);
    await expect(crashing.transactions.commit(transactionId)).rejects.toThrow('commit died here');
    clock.advance(31_000);
    await healthy.transactions.checkDue();
    await expectCommittedOnce(healthy, healthyStore, clock, transactionId);
  });
});

async function expectCommittedOnce(
  broker: Broker,
  store: DynamoDbStore,
  clock: ManualClock,
  transactionId: string,
): Promise<void> {
  const { msgId } = decodeTransactionId(transactionId);
  expect(await store.getHeld('transfers', msgId, clock.now())).toMatchObject({ state: 'RELEASED' });
  const read = await store.readQueue('transfers', 0, 0, 10, clock.now());
  expect(read.messages.map((message) => message.msgId)).toEqual([msgId]);
  // The producer's retried commit answers the same offset; a rollback is refused.
  await expect(broker.transactions.commit(transactionId)).resolves.toMatchObject({ msgId, queueOffset: 0 });
  await expect(broker.transactions.rollback(transactionId)).rejects.toMatchObject({ code: 'TRANSACTION_COMMITTED' });
}
