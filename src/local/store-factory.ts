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
export type StoreOptions =
  | {
      kind: 'sqlite';
      /** Directory of `nimbus.db`; created when missing. */
      dataDir: string;
    }
  | {
      kind: 'dynamodb';
      /** DynamoDB Local's URL; absent means DynamoDB on AWS (default credential chain). */
      endpoint?: string;
      region?: string;
      /** Table names are `<prefix>-messages`, `-state`, `-index`; default `nimbus`. */
      tablePrefix?: string;
      /** S3 bucket for large bodies (claim check); without it bodies over 256 KiB are refused. */
      bucket?: string;
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
    case 'dynamodb': {
      // Loaded on demand: the AWS SDK costs startup time that SQLite users need not pay.
      const { openDynamoDbStore } = await import('../adapters/dynamodb/index.ts');
      return openDynamoDbStore({
        endpoint: options.endpoint,
        region: options.region,
        tablePrefix: options.tablePrefix,
        s3: options.bucket === undefined ? undefined : { bucket: options.bucket },
        // DynamoDB Local starts empty; on AWS the tables belong to the CDK stack.
        createTables: options.endpoint !== undefined,
      });
    }
  }
}
