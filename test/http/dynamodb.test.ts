import { afterAll, beforeAll } from 'vitest';
import { type LocalAws, startLocalAws } from '../adapters/dynamodb/local-store.ts';
import { startServerOn } from '../support/server.ts';
import { describeHttpSuite } from './suite.ts';

// The same HTTP suites as on SQLite, with the embedded server on DynamoDB Local (and an
// in-process S3 for large bodies): one contract, proven on both stores.
let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
}, 120_000);

afterAll(async () => {
  await aws?.stop();
});

describeHttpSuite('dynamodb', async (options) => startServerOn(await aws.openStore(), options));
