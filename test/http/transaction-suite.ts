import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimpleConsumer, TransactionProducer } from '../../src/sdk/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import type { StartServer } from '../support/server.ts';
import { expectApiError, storedCount, unique, useServer } from './helpers.ts';
import { PaymentService, type Transfer, WEBHOOK_SECRET, WebhookServer } from './payment-service.ts';

const DOWNSTREAM = ['billing', 'points', 'notification'] as const;

/** Every message a group can receive now, acked: what it saw, as transfer ids. */
async function drain(consumer: SimpleConsumer): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const batch = await consumer.receive({ maxMessages: 32 });
    if (batch.length === 0) return seen;
    seen.push(...batch.map((message) => (JSON.parse(message.text()) as Transfer).id));
    await consumer.ack(batch);
  }
}

/**
 * Transactional messages over HTTP, in the payment-transfer scenario: the payment service
 * debits in its own database and publishes "transfer done"; billing, points and
 * notification consume it. Time is under test control; check-backs run as the driver would.
 */
export function describeTransactionSuite(label: string, start: StartServer): void {
  describe(`${label}: transactional messages`, () => {
    const clock = new ManualClock();
    const server = useServer(start, () => ({ clock, checkTimeoutMs: 300 }));
    const webhook = new WebhookServer();
    let webhookUrl = '';
    const checkDue = () => server().broker.transactions.checkDue();

    beforeAll(async () => {
      webhookUrl = await webhook.start();
    });
    afterAll(() => webhook.stop());

    /** A TRANSACTION topic, its three downstream groups, a producer group and the payment service. */
    async function scenario(options: { maxChecks?: number; checker?: 'webhook' | 'poll' } = {}) {
      const { client } = server();
      const topic = unique('transfers');
      const producerGroup = unique('payments');
      await client.createTopic(topic, { messageType: 'TRANSACTION', queueCount: 2 });
      const consumers: SimpleConsumer[] = [];
      for (const name of DOWNSTREAM) {
        const group = unique(name);
        await client.createGroup(group, { subscriptions: [{ topic }] });
        consumers.push(new SimpleConsumer(client, { group }));
      }
      await client.putProducerGroup(producerGroup, {
        checker:
          options.checker === 'poll' ? { type: 'poll' } : { type: 'webhook', url: webhookUrl, secret: WEBHOOK_SECRET },
        ...(options.maxChecks === undefined ? {} : { maxChecks: options.maxChecks }),
      });
      const payments = new PaymentService(client, producerGroup);
      payments.openAccount('alice', 100);
      const downstream = async () => Promise.all(consumers.map(drain));
      return { client, topic, producerGroup, payments, downstream };
    }

    it('commits when the local transaction returns: every group sees the transfer once, at the offset of the commit', async () => {
      const { topic, payments, downstream } = await scenario();
      const transfer = { id: unique('t'), from: 'alice', amount: 30 };
      const outcome = await payments.producer.send(topic, PaymentService.message(transfer), async (half) => {
        expect(await downstream()).toEqual([[], [], []]);
        payments.debit(transfer);
        expect(half.transactionId).toEqual(expect.any(String));
      });
      expect(outcome).toMatchObject({ state: 'COMMITTED', topic, queueOffset: 0, duplicate: false });
      expect(payments.balance('alice')).toBe(70);
      expect(await downstream()).toEqual([[transfer.id], [transfer.id], [transfer.id]]);
      const again = await payments.producer.commit(outcome.transactionId);
      expect(again).toEqual({ msgId: outcome.msgId, topic, queueId: expect.any(Number), queueOffset: 0 });
      await expectApiError(payments.producer.rollback(outcome.transactionId), {
        code: 'TRANSACTION_COMMITTED',
        status: 409,
      });
      clock.advance(60_000);
      await checkDue();
      expect(webhook.seen.filter((seen) => seen.transactionId === outcome.transactionId)).toEqual([]);
      expect(await downstream()).toEqual([[], [], []]);
    });

    it('(a) producer crashes after its local commit: the checker reads the local database and commits', async () => {
      const { topic, payments, downstream } = await scenario();
      webhook.behaviour = (check) => payments.decide(check);
      const transfer = { id: unique('t'), from: 'alice', amount: 40 };
      const half = await payments.producer.sendHalf(topic, PaymentService.message(transfer));
      payments.debit(transfer); // ...and the process dies before committing here.
      clock.advance(5_999);
      await checkDue();
      expect(webhook.seen.filter((seen) => seen.transactionId === half.transactionId)).toEqual([]);
      expect(await downstream()).toEqual([[], [], []]);
      clock.advance(1);
      expect(await checkDue()).toMatchObject({ committed: 1 });
      expect(webhook.seen.filter((seen) => seen.transactionId === half.transactionId)).toEqual([
        { transactionId: half.transactionId, checkAttempt: 1, decision: 'COMMIT' },
      ]);
      expect(await downstream()).toEqual([[transfer.id], [transfer.id], [transfer.id]]);
      clock.advance(60_000);
      await checkDue();
      expect(webhook.seen.filter((seen) => seen.transactionId === half.transactionId)).toHaveLength(1);
      expect(await downstream()).toEqual([[], [], []]);
      await expectApiError(payments.producer.rollback(half.transactionId), {
        code: 'TRANSACTION_COMMITTED',
        status: 409,
      });
    });

    it('(b) local rollback: the producer rolls back, or the checker does when the producer died first', async () => {
      const { client, topic, payments, downstream } = await scenario();
      webhook.behaviour = (check) => payments.decide(check);
      const tooMuch = { id: unique('t'), from: 'alice', amount: 500 };
      await expect(
        payments.producer.send(topic, PaymentService.message(tooMuch), async () => payments.debit(tooMuch)),
      ).rejects.toThrow(/CHECK constraint/);
      const crashed = { id: unique('t'), from: 'alice', amount: 700 };
      const half = await payments.producer.sendHalf(topic, PaymentService.message(crashed));
      expect(() => payments.debit(crashed)).toThrow(); // rolled back locally, then the process dies
      clock.advance(6_000);
      expect(await checkDue()).toMatchObject({ rolledBack: 1 });
      expect(webhook.seen.filter((seen) => seen.transactionId === half.transactionId)).toEqual([
        { transactionId: half.transactionId, checkAttempt: 1, decision: 'ROLLBACK' },
      ]);
      expect(payments.balance('alice')).toBe(100);
      expect(await downstream()).toEqual([[], [], []]);
      expect(await storedCount(server().broker, topic)).toBe(0);
      await expectApiError(payments.producer.commit(half.transactionId), {
        code: 'TRANSACTION_ROLLED_BACK',
        status: 409,
      });
      await payments.producer.rollback(half.transactionId); // idempotent
      await expectApiError(client.request('POST', '/v1/transactions/t1~nope~F/commit'), {
        code: 'TRANSACTION_NOT_FOUND',
        status: 404,
      });
    });

    it('(c) a checker that keeps answering UNKNOWN: checked every interval, rolled back after maxChecks with the reason kept', async () => {
      const { topic, payments, downstream } = await scenario({ maxChecks: 3 });
      webhook.behaviour = () => 'UNKNOWN';
      const transfer = { id: unique('t'), from: 'alice', amount: 10 };
      const half = await payments.producer.sendHalf(topic, PaymentService.message(transfer));
      const attempts = () =>
        webhook.seen.filter((seen) => seen.transactionId === half.transactionId).map((seen) => seen.checkAttempt);
      clock.advance(6_000);
      await checkDue();
      expect(attempts()).toEqual([1]);
      clock.advance(29_999);
      await checkDue();
      expect(attempts()).toEqual([1]);
      clock.advance(1);
      await checkDue();
      expect(attempts()).toEqual([1, 2]);
      clock.advance(30_000);
      expect(await checkDue()).toMatchObject({ rolledBack: 1 });
      expect(attempts()).toEqual([1, 2, 3]);
      const held = await server().broker.store.getHeld(topic, half.msgId, clock.now());
      expect(held).toMatchObject({ state: 'CANCELLED', checks: 3, reason: 'no decision after 3 check-backs' });
      clock.advance(300_000);
      await checkDue();
      expect(attempts()).toEqual([1, 2, 3]);
      expect(await downstream()).toEqual([[], [], []]);
      const error = await expectApiError(payments.producer.commit(half.transactionId), {
        code: 'TRANSACTION_ROLLED_BACK',
        status: 409,
      });
      expect(error.message).toContain('no decision after 3 check-backs');
    });

    it('(d) a webhook that times out counts as UNKNOWN; the next check commits, once', async () => {
      const { topic, payments, downstream } = await scenario();
      let stall = true;
      webhook.behaviour = async (check) => {
        if (stall) await new Promise((resolve) => setTimeout(resolve, 1_000));
        return payments.decide(check);
      };
      const transfer = { id: unique('t'), from: 'alice', amount: 25 };
      const half = await payments.producer.sendHalf(topic, PaymentService.message(transfer));
      payments.debit(transfer);
      clock.advance(6_000);
      expect(await checkDue()).toMatchObject({ committed: 0, rolledBack: 0 });
      expect(await downstream()).toEqual([[], [], []]);
      stall = false;
      clock.advance(30_000);
      expect(await checkDue()).toMatchObject({ committed: 1 });
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // the stalled answer arrives late, unheard
      expect(
        // Recorded as answered: the stalled first answer usually comes last, but not on a loaded machine.
        webhook.seen
          .filter((seen) => seen.transactionId === half.transactionId)
          .map((s) => s.checkAttempt)
          .sort(),
      ).toEqual([1, 2]);
      expect(await downstream()).toEqual([[transfer.id], [transfer.id], [transfer.id]]);
    });

    it('downstream groups see exactly the committed transfers, once each', async () => {
      const { topic, payments, downstream } = await scenario();
      webhook.behaviour = (check) => payments.decide(check);
      payments.openAccount('bob', 50);
      const committed: string[] = [];
      for (let i = 0; i < 12; i++) {
        const transfer = { id: unique(`t${i}`), from: i % 2 === 0 ? 'alice' : 'bob', amount: 9 };
        if (i % 3 === 0) {
          await payments.producer.send(topic, PaymentService.message(transfer), async () => payments.debit(transfer));
          committed.push(transfer.id);
        } else if (i % 3 === 1) {
          await payments.producer.sendHalf(topic, PaymentService.message(transfer));
          payments.debit(transfer); // crash after the local commit
          committed.push(transfer.id);
        } else {
          await payments.producer.sendHalf(topic, PaymentService.message(transfer)); // crash before it
        }
      }
      clock.advance(6_000);
      await Promise.all([checkDue(), checkDue()]); // two drivers at once check each transaction once
      const seen = await downstream();
      for (const group of seen) expect([...group].sort()).toEqual([...committed].sort());
      expect(await storedCount(server().broker, topic)).toBe(committed.length);
    });

    it('poll mode: each check goes to one of two producer instances, which answers by commit', async () => {
      const { client, topic, producerGroup, payments, downstream } = await scenario({ checker: 'poll' });
      const other = new TransactionProducer(client, { producerGroup });
      const transfer = { id: unique('t'), from: 'alice', amount: 5 };
      const half = await payments.producer.sendHalf(topic, PaymentService.message(transfer));
      payments.debit(transfer);
      expect(await other.receiveChecks()).toEqual([]);
      clock.advance(6_000);
      await checkDue(); // nothing to call in poll mode
      const [mine, theirs] = await Promise.all([payments.producer.receiveChecks(), other.receiveChecks()]);
      const checks = [...mine, ...theirs];
      expect(checks.map((check) => [check.transactionId, check.checkAttempt, check.text()])).toEqual([
        [half.transactionId, 1, JSON.stringify(transfer)],
      ]);
      expect(await other.receiveChecks({ waitMs: 300 })).toEqual([]); // leased until the next interval
      const stop = new AbortController();
      clock.advance(30_000);
      const loop = other.pollChecks({ check: (check) => payments.decide(check), signal: stop.signal, waitMs: 200 });
      await expect
        .poll(async () => (await downstream()).map((ids) => ids.length), { timeout: 5_000 })
        .toEqual([1, 1, 1]);
      stop.abort();
      await loop;
    });

    it('refuses bad input: producer group missing or unknown, big bodies, insecure webhooks, bad times; never returns secrets', async () => {
      const { client, topic, producerGroup } = await scenario();
      const send = (body: unknown) => client.request('POST', `/v1/topics/${topic}/messages`, body);
      await expectApiError(send({ body: 'x' }), { code: 'PRODUCER_GROUP_REQUIRED', status: 400 });
      await expectApiError(send({ body: 'x', producerGroup: unique('nobody') }), {
        code: 'PRODUCER_GROUP_NOT_FOUND',
        status: 404,
      });
      await expectApiError(send({ body: 'x'.repeat(64 * 1024 + 1), producerGroup }), {
        code: 'BODY_TOO_LARGE',
        status: 413,
      });
      await expectApiError(send({ body: 'x', producerGroup, delayMs: 1_000 }), {
        code: 'MESSAGE_TYPE_MISMATCH',
        status: 400,
      });
      const big = await send({ body: 'x'.repeat(64 * 1024), producerGroup });
      expect(big).toEqual({ msgId: expect.any(String), topic, transactionId: expect.any(String), duplicate: false });
      expect(await storedCount(server().broker, topic)).toBe(0);

      const name = unique('pg');
      const put = (checker: unknown, extra: object = {}) =>
        client.request('PUT', `/v1/producer-groups/${name}`, { checker, ...extra });
      for (const url of ['http://pay.example/check', 'ftp://127.0.0.1/x', 'https://u:p@pay.example/', 'not a url']) {
        await expectApiError(put({ type: 'webhook', url, secret: WEBHOOK_SECRET }), {
          code: 'INVALID_ARGUMENT',
          status: 400,
        });
      }
      await expectApiError(put({ type: 'poll' }, { firstCheckAfterMs: 999 }), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });
      await expectApiError(put({ type: 'poll' }, { checkIntervalMs: 999 }), { code: 'INVALID_ARGUMENT', status: 400 });
      await expectApiError(put({ type: 'webhook', url: webhookUrl, secret: 'short' }), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });
      await expectApiError(put({ type: 'carrier-pigeon' }), { code: 'INVALID_REQUEST', status: 400 });
      await expectApiError(client.getProducerGroup(name), { code: 'PRODUCER_GROUP_NOT_FOUND', status: 404 });
      await client.putProducerGroup(name, {
        checker: { type: 'webhook', url: 'https://pay.example/check', secret: WEBHOOK_SECRET },
      });
      const described = await client.getProducerGroup(name);
      expect(described).toEqual({
        name,
        checker: { type: 'webhook', url: 'https://pay.example/check', secretSet: true },
        firstCheckAfterMs: 6_000,
        checkIntervalMs: 30_000,
        maxChecks: 15,
        createdAt: clock.now(),
      });
      expect(JSON.stringify(await client.listProducerGroups())).not.toContain(WEBHOOK_SECRET);
      await expectApiError(client.request('POST', `/v1/producer-groups/${name}/checks/receive`, {}), {
        code: 'INVALID_ARGUMENT',
        status: 400,
      });
      await client.deleteProducerGroup(name);
      await expectApiError(client.deleteProducerGroup(name), { code: 'PRODUCER_GROUP_NOT_FOUND', status: 404 });
      await expectApiError(client.request('POST', '/v1/transactions/garbage/commit'), {
        code: 'INVALID_TRANSACTION_ID',
        status: 400,
      });
      expect(webhook.refused).toEqual([]);
    });
  });
}
