import { randomBytes } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsWakeUps } from '../../src/adapters/scheduler/index.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { createBroker } from '../../src/core/broker.ts';
import type { TransactionCheck, TransactionDecision } from '../../src/core/ports/transaction-checker.ts';
import { decodeTransactionId, encodeTransactionId } from '../../src/core/transaction-id.ts';
import { handleCheckBackEvent } from '../../src/lambda/transaction-check-back-handler.ts';
import { type LocalAws, startLocalAws } from '../adapters/dynamodb/local-store.ts';
import { ManualClock } from '../support/manual-clock.ts';

let aws: LocalAws;
let sqs: SQSClient;
beforeAll(async () => {
  aws = await startLocalAws();
  sqs = new SQSClient({
    endpoint: aws.s3.address,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  sqs?.destroy();
  await aws?.stop();
});

const encoder = new TextEncoder();

/**
 * A broker over DynamoDB Local as the send and check-back functions build it: half messages
 * arrange their first check with an SQS wake-up (fauxqs), and the checker answers `answers`
 * in turn (then UNKNOWN), recording each check.
 */
async function world(answers: TransactionDecision[]) {
  const clock = new ManualClock(Date.UTC(2030, 0, 1, 12, 0));
  const queueName = `checks-${randomBytes(4).toString('hex')}`;
  const { queueUrl } = aws.s3.createQueue(queueName);
  const wakeUps = new SqsWakeUps(sqs, queueUrl);
  const checks: TransactionCheck[] = [];
  const broker = createBroker({
    store: await aws.openStore(),
    clock,
    ids: randomIds(),
    notifier: new InProcessNotifier(),
    timers: systemTimers,
    checkScheduler: { schedule: (due) => wakeUps.send(due, clock.now()) },
    transactionChecker: {
      async check(_group, check) {
        checks.push(check);
        return answers.shift() ?? 'UNKNOWN';
      },
    },
  });
  const topic = `tx${randomBytes(3).toString('hex')}`;
  await broker.catalog.putTopic(topic, { messageType: 'TRANSACTION', queueCount: 1 });
  await broker.catalog.putGroup(`g${topic}`, { subscriptions: [{ topic, tagExpression: '*' }] });
  await broker.producerGroups.put(`p${topic}`, {
    checker: { type: 'lambda', functionArn: 'payments-checker' },
    firstCheckAfterMs: 6_000,
    checkIntervalMs: 30_000,
    maxChecks: 3,
  });
  let seen = 0;
  return {
    broker,
    clock,
    checks,
    deps: { broker, wakeUps },
    async half(text: string) {
      const [result] = await broker.producer.send(topic, [{ body: encoder.encode(text), producerGroup: `p${topic}` }]);
      return decodeTransactionId(result?.transactionId ?? '');
    },
    /** Wake-ups sent since the last call, with their SQS delay (s). */
    newWakeUps(): { wakeUp: { topic: string; msgId: string; dueAt: number }; delaySeconds: number }[] {
      const all = aws.s3.inspectQueue(queueName)?.messages.delayed ?? [];
      const fresh = all.slice(seen);
      seen = all.length;
      return fresh.map((message) => ({
        wakeUp: JSON.parse(message.body),
        delaySeconds: Math.round(((message.delayUntil ?? message.sentTimestamp) - message.sentTimestamp) / 1000),
      }));
    },
    async appended(): Promise<string[]> {
      const read = await broker.store.readQueue(topic, 0, 0, 100, clock.now());
      return read.messages.map((message) => message.msgId);
    },
  };
}

function batch(...bodies: unknown[]): SQSEvent {
  return {
    Records: bodies.map(
      (body, i) => ({ messageId: `m${i}`, body: JSON.stringify(body), eventSource: 'aws:sqs' }) as SQSRecord,
    ),
  };
}

describe('transaction-check-back: SQS wake-ups (fauxqs) and the handler (DynamoDB Local)', () => {
  it('a half message sends its first check as an SQS wake-up; UNKNOWN sends the next one, COMMIT appends once and ends the chain', async () => {
    const w = await world(['UNKNOWN', 'COMMIT']);
    const { topic, msgId } = await w.half('transfer 1');
    const [first, ...more] = w.newWakeUps();
    expect(more).toEqual([]);
    expect(first?.wakeUp).toEqual({ topic, msgId, dueAt: w.clock.now() + 6_000 });

    w.clock.advance(6_000);
    expect(await handleCheckBackEvent(batch(first?.wakeUp), w.deps)).toEqual({ batchItemFailures: [] });
    expect(w.checks.map((check) => check.checkAttempt)).toEqual([1]);
    const [second] = w.newWakeUps();
    expect(second?.wakeUp).toEqual({ topic, msgId, dueAt: w.clock.now() + 30_000 });
    expect(second?.delaySeconds).toBe(30);

    // SQS delivers the first wake-up again (a lost delete): the check is leased, nothing is asked.
    expect(await handleCheckBackEvent(batch(first?.wakeUp), w.deps)).toEqual({ batchItemFailures: [] });
    expect(w.checks).toHaveLength(1);
    w.newWakeUps();

    w.clock.advance(30_000);
    await handleCheckBackEvent(batch(second?.wakeUp), w.deps);
    expect(w.checks.map((check) => check.checkAttempt)).toEqual([1, 2]);
    expect(await w.appended()).toEqual([msgId]);
    expect(w.newWakeUps()).toEqual([]);
    await handleCheckBackEvent(batch(second?.wakeUp), w.deps);
    expect(await w.appended()).toEqual([msgId]);
    expect(w.checks).toHaveLength(2);
  });

  it('a wake-up for a decided transaction is dropped; a malformed one too (no retry)', async () => {
    const w = await world([]);
    const { topic, msgId } = await w.half('decided');
    const [first] = w.newWakeUps();
    await w.broker.transactions.rollback(encodeTransactionId({ topic, msgId }));
    w.clock.advance(6_000);
    expect(await handleCheckBackEvent(batch(first?.wakeUp, { nope: 1 }), w.deps)).toEqual({ batchItemFailures: [] });
    expect(w.checks).toEqual([]);
    expect(w.newWakeUps()).toEqual([]);
  });

  it('a checker that stays UNKNOWN is rolled back after maxChecks, with its reason, and no wake-up follows', async () => {
    const w = await world([]);
    const { topic, msgId } = await w.half('never decided');
    let [next] = w.newWakeUps();
    w.clock.advance(6_000);
    for (let i = 0; i < 3 && next; i++) {
      await handleCheckBackEvent(batch(next.wakeUp), w.deps);
      [next] = w.newWakeUps();
      w.clock.advance(30_000);
    }
    expect(w.checks.map((check) => check.checkAttempt)).toEqual([1, 2, 3]);
    expect(next).toBeUndefined();
    expect(await w.broker.store.getHeld(topic, msgId, w.clock.now())).toMatchObject({
      state: 'CANCELLED',
      reason: 'no decision after 3 check-backs',
    });
    expect(await w.appended()).toEqual([]);
  });

  it('first checks later than 15 minutes arrive early and go back with the rest of the delay', async () => {
    const w = await world(['ROLLBACK']);
    await w.broker.producerGroups.put(`p${(await w.half('warm')).topic}`, {
      checker: { type: 'lambda', functionArn: 'payments-checker' },
      firstCheckAfterMs: 3_600_000,
    });
    w.newWakeUps();
    const { topic, msgId } = await w.half('an hour');
    const [first] = w.newWakeUps();
    expect(first?.delaySeconds).toBe(900);
    w.clock.advance(900_000);
    await handleCheckBackEvent(batch(first?.wakeUp), w.deps);
    expect(w.checks).toEqual([]);
    const [again] = w.newWakeUps();
    expect(again?.wakeUp).toEqual({ topic, msgId, dueAt: first?.wakeUp.dueAt });
    expect(again?.delaySeconds).toBe(900);
  });

  it('the sweep checks a transaction whose wake-up was lost, once, however often it runs', async () => {
    const w = await world(['COMMIT']);
    const { msgId } = await w.half('lost wake-up');
    w.clock.advance(60_000);
    const sweep = { nimbus: 'check-back-sweep' };
    expect(await handleCheckBackEvent(sweep, w.deps)).toMatchObject({ checked: 1, committed: 1 });
    expect(await handleCheckBackEvent(sweep, w.deps)).toMatchObject({ checked: 0, committed: 0 });
    expect(await w.appended()).toEqual([msgId]);
  });
});
