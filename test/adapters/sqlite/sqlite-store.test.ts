import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteStore } from '../../../src/adapters/sqlite/sqlite-store.ts';
import { describeStoreConformance } from '../../conformance/store-conformance.ts';

const dir = mkdtempSync(join(tmpdir(), 'nimbus-sqlite-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreConformance('sqlite', async () => {
  const store = openSqliteStore({ path: join(dir, 'store.db') });
  return { store, close: () => store.close() };
});
