import { randomBytes } from 'node:crypto';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbStoreHooks } from '../../src/adapters/dynamodb/index.ts';
import { AwsReleaseScheduler, SqsWakeUps } from '../../src/adapters/scheduler/index.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds, systemClock } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { createBroker } from '../../src/core/broker.ts';
import type { Clock } from '../../src/core/ports/clock.ts';
import { HAND_OFF_PAGE, handleTimerEvent, type TimerReleaseDeps } from '../../src/lambda/timer-release-handler.ts';
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

/** A broker over DynamoDB Local whose holds wake the timer-release function through an SQS queue on fauxqs. */
async function world(clock: Clock, hooks: DynamoDbStoreHooks = {}) {
  const queueName = `release-${randomBytes(4).toString('hex')}`;
  const { queueUrl } = aws.s3.createQueue(queueName);
  const wakeUps = new SqsWakeUps(sqs, queueUrl);
  const store = await aws.openStore({ hooks });
  const broker = createBroker({
    store,
    clock,
    ids: randomIds(),
    notifier: new InProcessNotifier(),
    timers: systemTimers,
    releaseScheduler: new AwsReleaseScheduler(wakeUps, undefined, () => clock.now()),
  });
  const topic = `delayed${randomBytes(3).toString('hex')}`;
  await broker.catalog.putTopic(topic, { messageType: 'DELAY', queueCount: 1 });
  await broker.catalog.putGroup(`g${topic}`, { subscriptions: [{ topic, tagExpression: '*' }] });
  const deps = { broker, wakeUps, dueHeld: store };
  return {
    broker,
    topic,
    deps,
    queued: () => aws.s3.inspectQueue(queueName)?.messages,
    /** Everything in the release queue, as the SQS event source mapping would hand it to the function. */
    async receiveBatch(waitSeconds: number): Promise<SQSEvent> {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }),
      );
      return { Records: (out.Messages ?? []).map((m) => sqsRecord(m.MessageId ?? '', m.Body ?? '')) };
    },
    /** Holds `count` messages straight in the store (no wake-up arranged), due at `dueAt(i)`; their msgIds. */
    async hold(count: number, dueAt: (i: number) => number, retainMs = 86_400_000): Promise<string[]> {
      const now = clock.now();
      const held = Array.from({ length: count }, (_, i) => {
        const msgId = randomBytes(16).toString('hex').toUpperCase();
        const due = dueAt(i);
        const message = {
          msgId,
          topic,
          queueId: 0,
          body: encoder.encode(msgId),
          keys: [],
          properties: {},
          bornTimestamp: now,
          storeTimestamp: now,
          expireAt: due + retainMs,
          deliverAt: due,
        };
        return { kind: 'DELAY' as const, message, dueAt: due };
      });
      await store.hold(held);
      return held.map((entry) => entry.message.msgId);
    },
    send: (body: string, extra: { delayMs?: number; deliverAt?: number }) =>
      broker.producer.send(topic, [{ body: encoder.encode(body), ...extra }]).then(([result]) => result!),
    /** The topic's queue: every message appended, by msgId. */
    async appended(): Promise<string[]> {
      const read = await broker.store.readQueue(topic, 0, 0, 100, clock.now());
      return read.messages.map((message) => message.msgId);
    },
  };
}

function sqsRecord(messageId: string, body: string): SQSRecord {
  return { messageId, body, eventSource: 'aws:sqs' } as SQSRecord;
}

async function runTwice(event: unknown, deps: TimerReleaseDeps) {
  return [await handleTimerEvent(event, deps), await handleTimerEvent(event, deps)];
}

describe('timer-release: the SQS leg (fauxqs) and the release handler (DynamoDB Local)', () => {
  it('a hold due in 2 s sends an SQS wake-up delayed to the second; the handler releases it once, however often it runs', async () => {
    const w = await world(systemClock);
    const sent = await w.send('soon', { delayMs: 2_000 });
    const delayed = w.queued()?.delayed ?? [];
    expect(delayed.map((message) => JSON.parse(message.body))).toEqual([
      { topic: w.topic, msgId: sent.msgId, dueAt: sent.deliverAt },
    ]);
    let event = await w.receiveBatch(0);
    expect(event.Records).toEqual([]);
    for (let i = 0; i < 10 && event.Records.length === 0; i++) event = await w.receiveBatch(1);
    // SQS held it back until its due second (rounded up): never early.
    expect(Date.now()).toBeGreaterThanOrEqual(sent.deliverAt ?? 0);
    expect(await runTwice(event, w.deps)).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(await w.appended()).toEqual([sent.msgId]);
    const [received] = await w.broker.consumer.receive(`g${w.topic}`, { maxMessages: 10 });
    expect(received?.msgId).toBe(sent.msgId);
  });

  it('a wake-up that arrives early goes back to SQS with the remaining delay, and releases nothing yet', async () => {
    const clock = new ManualClock(Date.now());
    const w = await world(clock);
    const sent = await w.send('later', { delayMs: 600_000 });
    const early = {
      Records: [sqsRecord('m1', JSON.stringify({ topic: w.topic, msgId: sent.msgId, dueAt: clock.now() }))],
    };
    clock.advance(300_000);
    expect(await runTwice(early, w.deps)).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(await w.appended()).toEqual([]);
    const resent = (w.queued()?.delayed ?? []).map((message) => JSON.parse(message.body));
    expect(resent).toContainEqual({ topic: w.topic, msgId: sent.msgId, dueAt: sent.deliverAt });
    clock.advance(300_000);
    expect(await runTwice(early, w.deps)).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(await w.appended()).toEqual([sent.msgId]);
  });

  it("a bucket's schedule hands the bucket's messages to SQS; the sweep releases missed ones and hands off the next minutes", async () => {
    const start = Date.UTC(2030, 0, 1, 12, 0);
    const clock = new ManualClock(start);
    const w = await world(clock);
    // Due 30 minutes out: no SQS wake-up at send (the bucket's schedule is for that).
    const inBucket = await w.send('bucket', { deliverAt: start + 30 * 60_000 + 15_000 });
    // The previous sweep's look-ahead (it ran a minute before the one below) and this one's.
    const previousSweeps = await w.send('previous', { deliverAt: start + 31 * 60_000 + 5_000 });
    const nextMinute = await w.send('next', { deliverAt: start + 32 * 60_000 + 5_000 });
    expect(w.queued()?.delayed).toEqual([]);
    clock.set(start + 28 * 60_000);
    const bucket = { nimbus: 'release-bucket', minute: Math.floor((start + 30 * 60_000) / 60_000) };
    expect(await runTwice(bucket, w.deps)).toEqual([
      { released: 0, handedOff: 1 },
      { released: 0, handedOff: 1 },
    ]);
    const handedOff = (w.queued()?.delayed ?? []).map((message) => JSON.parse(message.body).msgId);
    expect(handedOff).toEqual([inBucket.msgId, inBucket.msgId]);

    // The wake-ups got lost; a minute after their time the sweep releases the message, once.
    clock.set(start + 30 * 60_000 + 45_000);
    const sweep = { nimbus: 'release-sweep' };
    const [first, second] = await runTwice(sweep, w.deps);
    expect(first).toEqual({ released: 1, handedOff: 1 });
    expect(second).toEqual({ released: 0, handedOff: 1 });
    expect(await w.appended()).toEqual([inBucket.msgId]);
    const lookAhead = (w.queued()?.delayed ?? []).map((message) => JSON.parse(message.body).msgId);
    expect(lookAhead.filter((id) => id === nextMinute.msgId)).toHaveLength(2);
    // Handed off by the sweep before: not sent again every minute until it is due.
    expect(lookAhead).not.toContain(previousSweeps.msgId);
  });

  it("a bucket run hands off every message of its minute, past a page, and none of the minute before's", async () => {
    const start = Date.UTC(2030, 0, 1, 12, 0);
    const clock = new ManualClock(start);
    const w = await world(clock);
    const minute = Math.floor((start + 30 * 60_000) / 60_000);
    // The minute before: already handed off by its own bucket, not yet due.
    const earlier = await w.hold(1_000, (i) => (minute - 1) * 60_000 + (i % 60) * 1_000);
    // More than a page of this minute, most at one second (a round-time campaign).
    const mine = await w.hold(HAND_OFF_PAGE + 200, (i) => minute * 60_000 + (i < 200 ? i * 100 : 30_000));
    clock.set(minute * 60_000 - 2 * 60_000);
    expect(await handleTimerEvent({ nimbus: 'release-bucket', minute }, w.deps)).toEqual({
      released: 0,
      handedOff: mine.length,
    });
    const handed = (w.queued()?.delayed ?? []).map((message) => JSON.parse(message.body).msgId as string);
    expect(handed.sort()).toEqual([...mine].sort());
    expect(handed.some((id) => earlier.includes(id))).toBe(false);
  });

  it('a look-ahead far into the future (a bucket two hours ahead) leaves live messages in the due index', async () => {
    const clock = new ManualClock(Date.now());
    const w = await world(clock);
    // Due now, kept an hour (the shortest retention): expired by the bucket's minute, not by now.
    const [live] = await w.hold(1, () => clock.now(), 3_600_000);
    const minute = Math.floor((clock.now() + 2 * 3_600_000) / 60_000);
    await handleTimerEvent({ nimbus: 'release-bucket', minute }, w.deps);
    const due = await w.broker.store.listDueHeld('DELAY', clock.now() + 1, 1_000);
    expect(due.filter((held) => held.message.topic === w.topic).map((held) => held.message.msgId)).toEqual([live]);
  });

  it('a sweep whose release fails still hands off its look-ahead, then reports the failure', async () => {
    const start = Date.UTC(2030, 0, 1, 12, 0);
    const clock = new ManualClock(start);
    const w = await world(clock);
    // Held without a wake-up (as if its bucket's schedule were lost): only the sweep's look-ahead finds it.
    const ahead = await w.hold(1, () => start + 2 * 60_000 - 5_000);
    const failing = {
      ...w.deps,
      broker: {
        ...w.broker,
        scheduled: { ...w.broker.scheduled, releaseDue: () => Promise.reject(new Error('throttled')) },
      },
    } as unknown as TimerReleaseDeps;
    await expect(handleTimerEvent({ nimbus: 'release-sweep' }, failing)).rejects.toThrow('throttled');
    const handed = (w.queued()?.delayed ?? []).map((message) => JSON.parse(message.body).msgId);
    expect(handed).toEqual(ahead);
  });

  it('reports a failed release as a batch item failure (SQS retries only it) and drops malformed records', async () => {
    const clock = new ManualClock(Date.now());
    let failing = '';
    const w = await world(clock, {
      afterHeldReleasing: ({ msgId }) => {
        if (msgId === failing) throw new Error('DynamoDB unavailable');
      },
    });
    const ok = await w.send('ok', { delayMs: 1_000 });
    const bad = await w.send('bad', { delayMs: 1_000 });
    failing = bad.msgId;
    clock.advance(1_000);
    const wake = (msgId: string) => JSON.stringify({ topic: w.topic, msgId, dueAt: clock.now() });
    const event = {
      Records: [sqsRecord('r-ok', wake(ok.msgId)), sqsRecord('r-bad', wake(bad.msgId)), sqsRecord('r-junk', '{')],
    };
    expect(await handleTimerEvent(event, w.deps)).toEqual({ batchItemFailures: [{ itemIdentifier: 'r-bad' }] });
    failing = '';
    // The retry finishes the release the failed attempt began.
    expect(await runTwice({ Records: [sqsRecord('r-bad', wake(bad.msgId))] }, w.deps)).toEqual([
      { batchItemFailures: [] },
      { batchItemFailures: [] },
    ]);
    expect((await w.appended()).sort()).toEqual([ok.msgId, bad.msgId].sort());
  });
});
