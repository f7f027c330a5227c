import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { startLogger } from '../../src/cli/commands/start.ts';
import { NimbusError } from '../../src/core/errors.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { startEmbeddedServer } from '../../src/local/embedded-server.ts';

/** A real store whose listTopics fails with `error`. */
function failingListTopics(store: BrokerStore, error: Error): BrokerStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'listTopics') return () => Promise.reject(error);
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the request id of every 5xx is in the server log', () => {
  for (const [name, error, status] of [
    ['an unexpected failure (500)', new Error('disk on fire'), 500],
    ['an unavailable store (503)', new NimbusError('STORE_UNAVAILABLE', 'down'), 503],
  ] as const) {
    it(`logs ${name} with its request id, as nimbus start prints it`, async () => {
      const printed: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
        printed.push(parts.map(String).join(' '));
      });
      vi.spyOn(console, 'log').mockImplementation(() => {});
      const store = openSqliteStore({ path: ':memory:' });
      const server = await startEmbeddedServer({ store: failingListTopics(store, error), logger: startLogger });
      try {
        const response = await fetch(`${server.url}/v1/topics`);
        expect(response.status).toBe(status);
        const { requestId } = (await response.json()) as { requestId: string };
        expect(requestId).toBe(response.headers.get('x-request-id'));
        expect(printed.filter((line) => line.includes(requestId))).not.toEqual([]);
        // The cause is in the log, not in the answer.
        if (status === 500) expect(printed.join('\n')).toContain('disk on fire');
      } finally {
        await server.close();
        await store.close();
      }
    });
  }
});
