import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import type { Broker } from '../../src/core/broker.ts';
import type { Clock } from '../../src/core/ports/clock.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { startEmbeddedServer } from '../../src/local/embedded-server.ts';
import type { EmbeddedLogger } from '../../src/local/logger.ts';
import { Client } from '../../src/sdk/index.ts';

/** A running broker for an HTTP test, reached through the SDK. */
export interface TestServer {
  url: string;
  client: Client;
  broker: Broker;
  /** Errors the server logged (unexpected failures); suites assert there are none. */
  loggedErrors: unknown[];
  close(): Promise<void>;
}

export interface TestServerOptions {
  clock?: Clock;
  /** Longest wait for one transaction check-back (webhook or Lambda). */
  checkTimeoutMs?: number;
}

/** Starts a server for one suite. Each store kind provides one; the suites take any. */
export type StartServer = (options?: TestServerOptions) => Promise<TestServer>;

/** Starts the embedded server over `store`, checking every response against its schema. */
export async function startServerOn(store: BrokerStore, options: TestServerOptions = {}): Promise<TestServer> {
  const loggedErrors: unknown[] = [];
  const logger: EmbeddedLogger = {
    info: () => {},
    error: (message, details) => {
      loggedErrors.push({ message, details });
    },
  };
  const server = await startEmbeddedServer({
    store,
    clock: options.clock,
    checkTimeoutMs: options.checkTimeoutMs,
    logger,
    validateResponses: true,
  });
  return {
    url: server.url,
    client: new Client({ endpoint: server.url }),
    broker: server.broker,
    loggedErrors,
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}

/** The embedded default: SQLite, in memory so suites leave nothing behind. */
export const startSqliteServer: StartServer = (options) =>
  startServerOn(openSqliteStore({ path: ':memory:' }), options);
