import { startSqliteServer } from '../support/server.ts';
import { describeHttpSuite } from './suite.ts';

describeHttpSuite('sqlite', startSqliteServer);
