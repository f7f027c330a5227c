import { describe, expect, it } from 'vitest';
import { NetworkError, Producer, SimpleConsumer } from '../../src/sdk/index.ts';
import type { StartServer } from '../support/server.ts';
import { topicWithGroups, useServer } from './helpers.ts';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Long-polling receive on the real clock: woken by sends, ended by disconnects and shutdown. */
export function describeLongPollSuite(label: string, start: StartServer): void {
  describe(`${label}: long-poll`, () => {
    const server = useServer(start);

    it('returns as soon as a message is sent, not at the end of the wait', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1);
      const consumer = new SimpleConsumer(client, { group: groups[0]!, waitMs: 15_000 });
      const started = Date.now();
      const receiving = consumer.receive();
      await sleep(100);
      await new Producer(client).send(topic, 'wake up');
      const [message] = await receiving;
      expect(message?.text()).toBe('wake up');
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('returns empty after waitMs when nothing arrives', async () => {
      const { client } = server();
      const { groups } = await topicWithGroups(client, 1);
      const started = Date.now();
      expect(await new SimpleConsumer(client, { group: groups[0]! }).receive({ waitMs: 300 })).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    });

    it('stops waiting on the server when the client disconnects', async () => {
      const { client } = server();
      const { topic, groups } = await topicWithGroups(client, 1);
      const consumer = new SimpleConsumer(client, { group: groups[0]! });
      const abort = new AbortController();
      const abandoned = consumer.receive({ waitMs: 15_000, signal: abort.signal });
      await sleep(100);
      abort.abort();
      await expect(abandoned).rejects.toThrow(/abort/i);
      await sleep(200);
      // Had the abandoned poll kept waiting on the server, it would claim this message for nobody.
      await new Producer(client).send(topic, 'for the living');
      const [message] = await consumer.receive();
      expect(message?.text()).toBe('for the living');
    });

    it('ends long-polls in progress when the server closes', async () => {
      const own = await start();
      const { topic, groups } = await topicWithGroups(own.client, 1);
      const consumer = new SimpleConsumer(own.client, { group: groups[0]!, waitMs: 20_000 });
      const polling = consumer.receive().then(
        (messages) => messages,
        (error: unknown) => error,
      );
      await sleep(100);
      const started = Date.now();
      await own.close();
      const outcome = await polling;
      expect(Date.now() - started).toBeLessThan(3_000);
      // Either the poll answered empty before the socket closed, or the client saw the connection go.
      if (Array.isArray(outcome)) expect(outcome).toEqual([]);
      else expect(outcome).toBeInstanceOf(NetworkError);
      await expect(new Producer(own.client).send(topic, 'x')).rejects.toBeInstanceOf(NetworkError);
      expect(own.loggedErrors).toEqual([]);
    });
  });
}
