import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openSqliteStore } from '../adapters/sqlite/sqlite-store.ts';
import type { BrokerStore } from '../core/ports/store.ts';

/** The SQLite file inside a data directory. */
export const SQLITE_FILE_NAME = 'nimbus.db';

/**
 * Which store the embedded broker runs on. One variant per store kind: add a variant to
 * this union and a case to `createStore` to support another.
 */
export type StoreOptions = {
  kind: 'sqlite';
  /** Directory of `nimbus.db`; created when missing. */
  dataDir: string;
};

/**
 * Opens the store an embedded broker runs on.
 * @example
 * const store = await createStore({ kind: 'sqlite', dataDir: './.nimbus' });
 */
export async function createStore(options: StoreOptions): Promise<BrokerStore> {
  switch (options.kind) {
    case 'sqlite': {
      await mkdir(options.dataDir, { recursive: true });
      return openSqliteStore({ path: join(options.dataDir, SQLITE_FILE_NAME) });
    }
  }
}
