import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessNotifier } from '../../../src/adapters/system/in-process-notifier.ts';
import { randomIds } from '../../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../../src/adapters/system/system-timers.ts';
import { createBroker } from '../../../src/core/broker.ts';
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

/**
 * A client whose first check-lease UpdateItem is applied by DynamoDB but whose answer is
 * lost on the way back (a timeout after the write): the SDK retries it, as it does on AWS.
 */
function losingFirstLeaseAnswer(endpoint: string): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let lost = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { ConditionExpression?: string };
      if (
        !lost &&
        context.commandName === 'UpdateItemCommand' &&
        input.ConditionExpression?.includes('c = :expected')
      ) {
        lost = true;
        throw Object.assign(new Error('socket timed out after the write'), { name: 'TimeoutError', $metadata: {} });
      }
      return result;
    },
    { step: 'deserialize', name: 'loseFirstLeaseAnswer' },
  );
  return client;
}

describe('a check-back lease whose answer is lost', () => {
  it('is retried as the same lease: the checker is asked, and the check is counted once', async () => {
    const clock = new ManualClock(Date.now());
    const checks: TransactionCheck[] = [];
    const store = await aws.openStore({ client: losingFirstLeaseAnswer(aws.dynamo.endpoint), now: () => clock.now() });
    const broker = createBroker({
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
    await broker.catalog.putTopic('transfers', { messageType: 'TRANSACTION', queueCount: 1 });
    await broker.producerGroups.put('payments', {
      checker: { type: 'lambda', functionArn: 'payments-checker' },
      maxChecks: 3,
    });
    const [half] = await broker.producer.send('transfers', [
      { body: new TextEncoder().encode('t'), producerGroup: 'payments' },
    ]);
    const { topic, msgId } = decodeTransactionId(half?.transactionId ?? '');
    clock.advance(6_000);
    expect(await broker.transactions.checkDue()).toMatchObject({ checked: 1 });
    expect(checks.map((check) => check.checkAttempt)).toEqual([1]);
    expect(await store.getHeld(topic, msgId, clock.now())).toMatchObject({ state: 'HELD', checks: 1 });
  });
});
