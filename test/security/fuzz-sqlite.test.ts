import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { describeFuzz } from './fuzz/fuzz-suite.ts';

describeFuzz('sqlite', async () => openSqliteStore({ path: ':memory:' }));
