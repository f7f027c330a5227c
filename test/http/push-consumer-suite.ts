import { describe, expect, it } from 'vitest';
import { Producer, PushConsumer, type ReceivedMessage, SimpleConsumer } from '../../src/sdk/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import type { StartServer } from '../support/server.ts';
import { topicWithGroups, useServer } from './helpers.ts';

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** PushConsumer over HTTP: bounded concurrency, ack on success, nack on throw, graceful stop. */
export function describePushConsumerSuite(label: string, start: StartServer): void {
  describe(`${label}: push consumer`, () => {
    const clock = new ManualClock();
    const server = useServer(start, () => ({ clock }));

    /** Nothing left for the group, even after every invisible time and backoff has passed. */
    async function drained(group: string): Promise<boolean> {
      clock.advance(24 * 3_600_000);
      return (await new SimpleConsumer(server().client, { group }).receive({ maxMessages: 32 })).length === 0;
    }

    it('runs handlers with bounded concurrency and acks each success', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1);
      let running = 0;
      let peak = 0;
      const handled: string[] = [];
      const consumer = new PushConsumer(client, {
        group: groups[0]!,
        concurrency: 3,
        handler: async (message) => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 30));
          handled.push(message.text());
          running--;
        },
      });
      consumer.start();
      await new Producer(client).sendBatch(
        topic,
        Array.from({ length: 12 }, (_, i) => `m${i}`),
      );
      await until(() => handled.length === 12);
      await consumer.stop();
      expect(handled.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
      expect(peak).toBeLessThanOrEqual(3);
      expect(peak).toBeGreaterThan(1);
      expect(await drained(groups[0]!)).toBe(true);
    });

    it('nacks when the handler throws, so the message comes back after the backoff', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1);
      const attempts: number[] = [];
      const errors: unknown[] = [];
      const consumer = new PushConsumer(client, {
        group: groups[0]!,
        handler: (message) => {
          attempts.push(message.deliveryAttempt);
          if (message.deliveryAttempt === 1) throw new Error('first try fails');
        },
        onError: (error) => errors.push(error),
      });
      consumer.start();
      await new Producer(client).send(topic, 'retry me');
      await until(() => attempts.length === 1);
      await until(() => errors.length === 1);
      // onError runs before the nack reaches the broker, so keep moving the clock until the
      // nack (whenever it landed) has its backoff behind it.
      await until(() => {
        clock.advance(10_000);
        return attempts.length === 2;
      }, 10_000);
      await consumer.stop();
      expect(attempts).toEqual([1, 2]);
      expect((errors[0] as Error).message).toBe('first try fails');
      expect(await drained(groups[0]!)).toBe(true);
    });

    it('stop() waits for running handlers and settles them', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1);
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started: ReceivedMessage | undefined;
      const consumer = new PushConsumer(client, {
        group: groups[0]!,
        handler: async (message) => {
          started = message;
          await gate;
        },
      });
      consumer.start();
      await new Producer(client).send(topic, 'slow');
      await until(() => started !== undefined);
      let stopped = false;
      const stopping = consumer.stop().then(() => {
        stopped = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(stopped).toBe(false);
      expect(consumer.isRunning).toBe(false);
      release();
      await stopping;
      expect(await drained(groups[0]!)).toBe(true);
    });

    it('stops promptly while idle in a long-poll', async () => {
      const { client } = server();
      const { groups } = await topicWithGroups(client, 1);
      const consumer = new PushConsumer(client, { group: groups[0]!, handler: () => {}, waitMs: 20_000 });
      consumer.start();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const begun = Date.now();
      await consumer.stop();
      expect(Date.now() - begun).toBeLessThan(1_000);
    });
  });
}
