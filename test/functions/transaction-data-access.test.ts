import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSEvent } from 'aws-lambda';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../src/sdk/client.ts';
import { SimpleConsumer } from '../../src/sdk/simple-consumer.ts';
import { TransactionProducer } from '../../src/sdk/transaction-producer.ts';
import {
  apiGatewayClient,
  type HttpHandlers,
  invoke,
  type LambdaEnvironment,
  loadHttpHandlers,
  startLambdaEnvironment,
} from './lambda-harness.ts';
import { recordedCalls, uncoveredCalls } from './store-calls.ts';

/**
 * The transaction paths of the functions, as deployed: send holds half messages and sends
 * their first check to SQS, transaction-commit commits and rolls back, admin registers
 * producer groups and hands poll checks out, transaction-check-back checks (a webhook on
 * loopback) on wake-ups and on the sweep. Each DynamoDB request must be one the function's
 * role allows (lib/data-access.ts).
 */
let env: LambdaEnvironment;
let sqs: FauxqsServer;
let http: HttpHandlers;
let client: Client;
let webhook: Server;
let webhookUrl: string;
const queueName = 'transaction-check-wake-ups';
const decisions: string[] = [];

beforeAll(async () => {
  env = await startLambdaEnvironment();
  sqs = await startFauxqs({ port: 0, logger: false });
  sqs.createQueue(queueName);
  const queueUrl = `${sqs.address}/000000000000/${queueName}`;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SQS: sqs.address,
    NIMBUS_CHECK_QUEUE_URL: queueUrl,
    NIMBUS_CALLS_CHECKERS: 'true',
  });
  webhook = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ decision: decisions.shift() ?? 'UNKNOWN' }));
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/check`;
  http = await loadHttpHandlers();
  client = apiGatewayClient(http);
});

afterAll(async () => {
  await new Promise((resolve) => webhook?.close(resolve));
  await sqs?.stop();
  await env?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('transaction calls of each function vs. its IAM policy', () => {
  it('send, transaction-commit, admin and transaction-check-back make only calls their roles allow', async () => {
    const checkBack = (await import('../../functions/transaction-check-back.ts')).handler;
    await client.createTopic('transfers', { messageType: 'TRANSACTION', queueCount: 2 });
    await client.createGroup('billing', { subscriptions: [{ topic: 'transfers' }] });
    await client.putProducerGroup('payments', {
      checker: { type: 'webhook', url: webhookUrl, secret: 'a-webhook-secret-of-32-characters' },
      firstCheckAfterMs: 1_000,
      checkIntervalMs: 1_000,
    });
    await client.putProducerGroup('stateless', { checker: { type: 'poll' }, firstCheckAfterMs: 1_000 });
    await client.getProducerGroup('payments');
    await client.listProducerGroups();

    const payments = new TransactionProducer(client, { producerGroup: 'payments' });
    const committed = await payments.sendHalf('transfers', { body: 'committed', keys: ['t-1'] });
    const rolledBack = await payments.sendHalf('transfers', 'rolled back');
    const checked = await payments.sendHalf('transfers', 'checked');
    const swept = await payments.sendHalf('transfers', 'swept');
    await payments.commit(committed.transactionId);
    await payments.commit(committed.transactionId);
    await payments.rollback(rolledBack.transactionId);
    await expect(payments.commit(rolledBack.transactionId)).rejects.toMatchObject({
      code: 'TRANSACTION_ROLLED_BACK',
    });

    const stateless = new TransactionProducer(client, { producerGroup: 'stateless' });
    const polled = await stateless.sendHalf('transfers', 'polled');
    await sleep(1_100);
    const checks = await stateless.receiveChecks({ maxMessages: 5 });
    expect(checks.map((check) => check.transactionId)).toEqual([polled.transactionId]);
    await stateless.answer(checks[0]!, 'COMMIT');

    // The first checks went to SQS; the one for `checked` is the wake-up the check-back function gets.
    const queued = sqs.inspectQueue(queueName)?.messages;
    const wakeUps = [...(queued?.delayed ?? []), ...(queued?.ready ?? [])].map((m) => JSON.parse(m.body));
    expect(wakeUps.map((wakeUp) => wakeUp.msgId).sort()).toEqual(
      [committed, rolledBack, checked, swept, polled].map((half) => half.msgId).sort(),
    );
    const event: SQSEvent = {
      Records: wakeUps
        .filter((wakeUp) => wakeUp.msgId === checked.msgId)
        .map((wakeUp) => ({ messageId: 'w1', body: JSON.stringify(wakeUp), eventSource: 'aws:sqs' }) as never),
    };
    decisions.push('COMMIT');
    expect(await invoke(checkBack, event, 'transaction-check-back', 60_000)).toEqual({ batchItemFailures: [] });
    decisions.push('ROLLBACK');
    expect(await invoke(checkBack, { nimbus: 'check-back-sweep' }, 'transaction-check-back', 60_000)).toMatchObject({
      checked: 1,
      rolledBack: 1,
    });

    const consumer = new SimpleConsumer(client, { group: 'billing', maxMessages: 10 });
    const received = await consumer.receive({ waitMs: 0 });
    expect(received.map((message) => message.msgId).sort()).toEqual(
      [committed, checked, polled].map((half) => half.msgId).sort(),
    );
    await client.deleteProducerGroup('stateless');
    await client.deleteTopic('transfers');

    const seen = new Set(recordedCalls().map((call) => call.fn));
    expect([...seen].sort()).toEqual(['admin', 'consume-pull', 'send', 'transaction-check-back', 'transaction-commit']);
    expect(uncoveredCalls()).toEqual([]);
  }, 120_000);
});
