import { afterAll, describe } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { orderedConsumptionProperty } from '../conformance/ordered-consumption.ts';

const stores: BrokerStore[] = [];
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
});

describe('orderly consumption of a FIFO topic over the SQLite store', () => {
  orderedConsumptionProperty(
    async () => {
      const store = openSqliteStore({ path: ':memory:' });
      stores.push(store);
      return store;
    },
    { messageGroups: 60, messagesPerGroup: 5, runs: 4, steps: 300 },
  );
});
