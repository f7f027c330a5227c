import { randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import {
  type DynamoDbStore,
  type DynamoDbStoreOptions,
  openDynamoDbStore,
} from '../../../src/adapters/dynamodb/index.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../support/dynamodb-local.ts';

/** DynamoDB Local plus an in-process S3 (fauxqs) with one claim-check bucket, for one test file. */
export interface LocalAws {
  dynamo: DynamoDbLocal;
  s3: FauxqsServer;
  bucket: string;
  s3Client: S3Client;
  /** A store on fresh tables (a unique prefix), with the S3 claim check wired. */
  openStore(options?: Partial<DynamoDbStoreOptions>): Promise<DynamoDbStore>;
  stop(): Promise<void>;
}

export async function startLocalAws(): Promise<LocalAws> {
  const [dynamo, s3] = await Promise.all([startDynamoDbLocal(), startFauxqs({ port: 0, logger: false })]);
  const bucket = 'nimbus-bodies';
  s3.createBucket(bucket);
  const s3Client = new S3Client({
    endpoint: s3.address,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const stores: DynamoDbStore[] = [];
  return {
    dynamo,
    s3,
    bucket,
    s3Client,
    async openStore(options = {}) {
      const store = await openDynamoDbStore({
        endpoint: dynamo.endpoint,
        tablePrefix: `t${randomBytes(4).toString('hex')}`,
        createTables: true,
        s3: { bucket, client: s3Client },
        ...options,
      });
      stores.push(store);
      return store;
    },
    async stop() {
      await Promise.all(stores.map((store) => store.close()));
      s3Client.destroy();
      await s3.stop();
      await dynamo.stop();
    },
  };
}
