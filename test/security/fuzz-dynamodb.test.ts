import { afterAll, beforeAll } from 'vitest';
import { createStore } from '../../src/local/store-factory.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local.ts';
import { describeFuzz } from './fuzz/fuzz-suite.ts';

// The same fuzzing with the embedded server on DynamoDB Local.
let local: DynamoDbLocal;

beforeAll(async () => {
  local = await startDynamoDbLocal();
}, 120_000);

afterAll(async () => {
  await local?.stop();
});

describeFuzz('dynamodb', () =>
  createStore({ kind: 'dynamodb', endpoint: local.endpoint, region: 'us-east-1', tablePrefix: 'fuzz' }),
);
