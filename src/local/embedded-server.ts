import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InProcessNotifier } from '../adapters/system/in-process-notifier.ts';
import { randomIds, systemClock } from '../adapters/system/system-clock.ts';
import { systemTimers } from '../adapters/system/system-timers.ts';
import { createApi } from '../api/create-api.ts';
import { type Broker, createBroker } from '../core/broker.ts';
import type { Clock, IdGenerator } from '../core/ports/clock.ts';
import type { BrokerStore } from '../core/ports/store.ts';
import { brokerTasks, InProcessReleaseScheduler, startBackgroundDriver } from './background-driver.ts';
import { type CorsPolicy, withCors } from './cors.ts';
import type { EmbeddedLogger } from './logger.ts';
import { silentLogger } from './logger.ts';
import { createNodeHttpAdapter } from './node-http-adapter.ts';
import { createStore } from './store-factory.ts';

export interface EmbeddedServerOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1 (the embedded server has no authentication). */
  host?: string;
  /** Where the SQLite file `nimbus.db` lives when no `store` is given; default `./.nimbus`. */
  dataDir?: string;
  /** A store to run on instead of the SQLite file; the caller keeps it and closes it. */
  store?: BrokerStore;
  clock?: Clock;
  ids?: IdGenerator;
  /** Longest time between runs of each background task (retention sweep, lease expiry, delayed release); default 60 s. */
  sweepIntervalMs?: number;
  /** Receives the server's log lines; default none. */
  logger?: EmbeddedLogger;
  /** Checks every response against its schema (for tests). */
  validateResponses?: boolean;
  /** Browser origins allowed to call the API (CORS): `'*'` (default), a list of origins, or `false`. */
  cors?: CorsPolicy;
}

export interface EmbeddedServer {
  /** Base URL, e.g. `http://127.0.0.1:9800`. */
  url: string;
  port: number;
  broker: Broker;
  /** Stops accepting, ends long-polls, waits for requests in progress and closes the store. */
  close(): Promise<void>;
}

/** Longest wait for requests in progress to finish once long-polls were told to end. */
const DRAIN_TIMEOUT_MS = 5_000;

/**
 * Starts the embedded broker: the HTTP API on node:http over a SQLite file, with the
 * retention sweep running in the background.
 * @example
 * const server = await startEmbeddedServer({ port: 0, dataDir: './.nimbus' });
 * console.log(`listening on ${server.url}`);
 * await server.close();
 */
export async function startEmbeddedServer(options: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const logger = options.logger ?? silentLogger;
  const ownsStore = options.store === undefined;
  const store = options.store ?? (await createStore({ kind: 'sqlite', dataDir: options.dataDir ?? './.nimbus' }));
  const clock = options.clock ?? systemClock;
  const releaseScheduler = new InProcessReleaseScheduler();
  const broker = createBroker({
    timers: systemTimers,
    store,
    clock,
    ids: options.ids ?? randomIds(),
    notifier: new InProcessNotifier(),
    releaseScheduler,
  });
  const api = createApi(broker, { logger, validateResponses: options.validateResponses });
  const adapter = createNodeHttpAdapter(withCors(api.handle, options.cors ?? '*'));
  const server = createServer({ keepAlive: true }, adapter.listener);
  // Longer than clients' idle timeouts, so a client never reuses a socket the server is closing.
  server.keepAliveTimeout = 65_000;

  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    if (ownsStore) await store.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const driver = startBackgroundDriver(brokerTasks(broker, { sweepIntervalMs: options.sweepIntervalMs }), {
    clock,
    logger,
  });
  releaseScheduler.attach(driver);
  logger.info(`Nimbus MQ listening on ${url}`, { url, port });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      adapter.abortAll();
      await Promise.race([adapter.idle(), delay(DRAIN_TIMEOUT_MS)]);
      server.closeAllConnections();
      await stopped;
      await driver.stop();
      if (ownsStore) await store.close();
      logger.info('Nimbus MQ stopped', { url });
    })();
    return closing;
  };

  return { url, port, broker, close };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
