import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { ManualClock } from '../support/manual-clock.ts';
import { appendConformance } from './append-conformance.ts';
import { catalogConformance } from './catalog-conformance.ts';
import { deadLetterConformance } from './dead-letter-conformance.ts';
import type { ConformanceContext, OpenedStore } from './fixtures.ts';
import { heldConformance } from './held-conformance.ts';
import { leaseConformance } from './lease-conformance.ts';
import { lockConformance } from './lock-conformance.ts';
import { queryConformance } from './query-conformance.ts';
import { readConformance } from './read-conformance.ts';

export type { OpenedStore } from './fixtures.ts';

/**
 * The `BrokerStore` contract, tested through the port only, so the same suite runs
 * unchanged against every adapter. Every test uses names of its own, so a store shared
 * with other suites (one DynamoDB Local, say) works; `now` comes from a manual clock.
 * @example
 * describeStoreConformance('sqlite', async () => {
 *   const store = openSqliteStore({ path: ':memory:' });
 *   return { store, close: () => store.close() };
 * });
 */
export function describeStoreConformance(label: string, open: () => Promise<OpenedStore>): void {
  describe(`BrokerStore conformance: ${label}`, () => {
    let opened: OpenedStore | undefined;
    const run = randomBytes(3).toString('hex');
    let counter = 0;
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const context: ConformanceContext = {
      get store() {
        if (!opened) throw new Error('the store is not open');
        return opened.store;
      },
      clock,
      name: (prefix) => `${prefix}-${run}-${++counter}`,
    };

    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => {
      await opened?.close();
    });

    const ctx = () => context;
    describe('append', () => appendConformance(ctx));
    describe('reads and retention', () => readConformance(ctx));
    describe('cursors and leases', () => leaseConformance(ctx));
    describe('dead letters', () => deadLetterConformance(ctx));
    describe('topics, groups and deletion', () => catalogConformance(ctx));
    describe('locks', () => lockConformance(ctx));
    describe('held messages', () => heldConformance(ctx));
    describe('query, trace and offset reset', () => queryConformance(ctx));
  });
}
