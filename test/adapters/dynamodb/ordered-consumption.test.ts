import { afterAll, describe } from 'vitest';
import { orderedConsumptionProperty } from '../../conformance/ordered-consumption.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

let aws: LocalAws | undefined;
afterAll(async () => {
  await aws?.stop();
});

// The same property as over SQLite, against DynamoDB Local: conditional writes instead of one transaction.
describe('orderly consumption of a FIFO topic over the DynamoDB store', () => {
  orderedConsumptionProperty(
    async () => {
      aws = await startLocalAws();
      return aws.openStore();
    },
    { messageGroups: 50, messagesPerGroup: 3, runs: 1, steps: 120 },
  );
});
