import { describeStoreConformance } from '../../conformance/store-conformance.ts';
import { startLocalAws } from './local-store.ts';

// The same suite as the SQLite store, unchanged, against DynamoDB Local (+ fauxqs for large bodies).
describeStoreConformance('dynamodb', async () => {
  const aws = await startLocalAws();
  const store = await aws.openStore();
  return { store, close: () => aws.stop() };
});
