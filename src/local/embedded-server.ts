import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { InProcessNotifier } from '../adapters/system/in-process-notifier.ts';
import { randomIds, systemClock } from '../adapters/system/system-clock.ts';
import { systemTimers } from '../adapters/system/system-timers.ts';
import { WebhookChecker } from '../adapters/webhook/webhook-checker.ts';
import { createApi } from '../api/create-api.ts';
import type { ApiHandler } from '../api/http.ts';
import { withConsole } from '../console/server/serve-console.ts';
import { type Broker, createBroker } from '../core/broker.ts';
import type { Clock, IdGenerator } from '../core/ports/clock.ts';
import type { BrokerStore } from '../core/ports/store.ts';
import type { FunctionInvoker } from '../push/function-invoker.ts';
import { checkerByType, LambdaTransactionChecker } from '../push/lambda-transaction-checker.ts';
import { type AccessPolicy, loadAccessPolicy } from './access-policy.ts';
import { withAuth } from './auth.ts';
import {
  brokerTasks,
  InProcessReleaseScheduler,
  startBackgroundDriver,
  TRANSACTION_CHECK,
} from './background-driver.ts';
import { type CorsPolicy, withCors } from './cors.ts';
import { headerGate } from './header-gate.ts';
import { allowedHostNames, withHostCheck } from './host-check.ts';
import { DEFAULT_LIMITS, limitConnections, type ServerLimits, withLongPollLimits } from './limits.ts';
import type { EmbeddedLogger } from './logger.ts';
import { silentLogger } from './logger.ts';
import { isLoopback } from './loopback.ts';
import { createNodeHttpAdapter } from './node-http-adapter.ts';
import { createRouteMatcher } from './route-match.ts';
import { createStore } from './store-factory.ts';

export interface EmbeddedServerOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. Any other than loopback needs `authFile` or `allowUnauthenticated`. */
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
  /** Foreign browser origins allowed to call the API (CORS): `false` (default, none), a list, or `'*'`. */
  cors?: CorsPolicy;
  /** Principals, tokens and permissions (see README, Security); without it there is no authentication. */
  authFile?: string;
  /** Binds a non-loopback interface without `authFile`: anyone who reaches it may do anything. */
  allowUnauthenticated?: boolean;
  /** Host names besides the bound address and loopback names that requests may carry in `Host`. */
  allowedHosts?: readonly string[];
  /** Serves HTTPS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Abuse limits; each defaults to `DEFAULT_LIMITS`. */
  limits?: Partial<ServerLimits>;
  /** Invokes producer groups' Lambda checkers; default the AWS Lambda API (tests pass an in-process invoker). */
  functionInvoker?: FunctionInvoker;
  /** Longest wait for one transaction check-back (webhook or Lambda); default 5 s. */
  checkTimeoutMs?: number;
}

export interface EmbeddedServer {
  /** Base URL, e.g. `http://127.0.0.1:9800`. */
  url: string;
  port: number;
  broker: Broker;
  /** Reads the auth file again; the new principals apply to the next request, connections stay open. */
  reloadAuth(): Promise<void>;
  /** Stops accepting, ends long-polls, waits for requests in progress and closes the store. */
  close(): Promise<void>;
}

/** Longest wait for requests in progress to finish once long-polls were told to end. */
const DRAIN_TIMEOUT_MS = 5_000;

/**
 * Starts the embedded broker: the HTTP API on node:http over a SQLite file, with the
 * retention sweep running in the background. In front of the API, outermost first: the
 * Host check, CORS, authentication and permissions, the long-poll caps.
 * @example
 * const server = await startEmbeddedServer({ port: 0, dataDir: './.nimbus' });
 * console.log(`listening on ${server.url}`);
 * await server.close();
 */
export async function startEmbeddedServer(options: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && options.authFile === undefined && options.allowUnauthenticated !== true) {
    throw new Error(
      `Refusing to listen on ${host} without authentication: pass --auth-file FILE (or --allow-unauthenticated to accept the risk).`,
    );
  }
  const given: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  // Each long-poll holds a connection: a client's connection cap below its long-poll cap would hide the latter.
  const limits: ServerLimits = {
    ...given,
    maxConnectionsPerClient: Math.max(given.maxConnectionsPerClient, given.maxLongPollsPerClient),
  };
  let policy: AccessPolicy | undefined =
    options.authFile === undefined ? undefined : await loadAccessPolicy(options.authFile);

  const ownsStore = options.store === undefined;
  const store = options.store ?? (await createStore({ kind: 'sqlite', dataDir: options.dataDir ?? './.nimbus' }));
  const clock = options.clock ?? systemClock;
  const releaseScheduler = new InProcessReleaseScheduler();
  const checkScheduler = new InProcessReleaseScheduler(TRANSACTION_CHECK);
  const timeoutMs = options.checkTimeoutMs;
  let lambdaInvoker = options.functionInvoker;
  const lazyInvoker: FunctionInvoker = {
    // The AWS SDK is loaded only when a Lambda checker is first called: most installs have none.
    async invoke(name, payload) {
      lambdaInvoker ??= (await import('../push/function-invoker.ts')).awsLambdaInvoker();
      return lambdaInvoker.invoke(name, payload);
    },
  };
  const broker = createBroker({
    timers: systemTimers,
    store,
    clock,
    ids: options.ids ?? randomIds(),
    notifier: new InProcessNotifier(),
    releaseScheduler,
    checkScheduler,
    transactionChecker: checkerByType({
      webhook: new WebhookChecker({ timeoutMs }),
      lambda: new LambdaTransactionChecker(lazyInvoker, { timeoutMs }),
    }),
  });
  const api = createApi(broker, { logger, validateResponses: options.validateResponses });
  const matchRoute = createRouteMatcher();
  const hostNames = allowedHostNames(host, options.allowedHosts);
  const guards =
    (bodyRead: boolean) =>
    (inner: ApiHandler): ApiHandler =>
      withHostCheck(
        withCors(
          withAuth(inner, () => policy, matchRoute, { bodyRead }),
          options.cors ?? false,
        ),
        hostNames,
      );
  // The same guards judge the headers before any body is read, and the whole request after.
  const beforeBody = headerGate(guards(false));
  const guarded = guards(true)(api.handle);
  // The API logs its own 5xx; these are the 503s of the server's limits.
  const onBusy = (requestId: string, message: string) => logger.error(`503 SERVER_BUSY: ${message}`, { requestId });
  const adapter = createNodeHttpAdapter(
    withLongPollLimits(guarded, limits, matchRoute, onBusy),
    limits,
    onBusy,
    beforeBody,
  );
  const server = createServerFor(options.tls, withConsole(adapter.listener), limits);
  limitConnections(server, limits, {
    tls: options.tls !== undefined,
    onRefused: everyTenSeconds((refused) =>
      logger.error(`503 SERVER_BUSY: refused ${refused} connections over the cap of ${limits.maxConnections}`),
    ),
  });

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
  const scheme = options.tls === undefined ? 'http' : 'https';
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const driver = startBackgroundDriver(brokerTasks(broker, { sweepIntervalMs: options.sweepIntervalMs }), {
    clock,
    logger,
  });
  releaseScheduler.attach(driver);
  checkScheduler.attach(driver);
  logger.info(`Nimbus MQ listening on ${url}`, { url, port });
  warnAboutExposure(host, options, logger);

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

  let reloadsStarted = 0;
  const reloadAuth = async () => {
    if (options.authFile === undefined) return;
    const reload = ++reloadsStarted;
    // A broken file keeps the principals in force: a typo must not lock everyone out or let everyone in.
    const loaded = await loadAccessPolicy(options.authFile);
    // Two signals close together: a slower read of the older file must not undo the newer one.
    if (reload !== reloadsStarted) return;
    policy = loaded;
    logger.info(`Reloaded ${options.authFile}: ${policy.principalCount} principals`, { file: options.authFile });
  };

  return { url, port, broker, reloadAuth, close };
}

function createServerFor(
  tls: EmbeddedServerOptions['tls'],
  listener: Parameters<typeof createHttpServer>[1],
  { bodyTimeoutMs, keepAliveTimeoutMs }: ServerLimits,
): Server {
  // Node checks its own header and request timeouts every `connectionsCheckingInterval`.
  const settings = {
    keepAlive: true,
    headersTimeout: bodyTimeoutMs,
    // A backstop behind the adapter's own body timeout (which answers with a JSON 408).
    requestTimeout: bodyTimeoutMs * 2,
    connectionsCheckingInterval: Math.min(1_000, bodyTimeoutMs),
  };
  const server: Server =
    tls === undefined
      ? createHttpServer(settings, listener)
      : // A socket that never completes its handshake would otherwise hold a connection for 120 s.
        createHttpsServer({ ...settings, handshakeTimeout: bodyTimeoutMs, cert: tls.cert, key: tls.key }, listener);
  // Short, so idle connections do not hold slots; Node announces it (`keep-alive: timeout=5`)
  // and clients that read the hint (undici, the SDK) stop reusing a socket before it closes.
  server.keepAliveTimeout = keepAliveTimeoutMs;
  return server;
}

function warnAboutExposure(host: string, options: EmbeddedServerOptions, logger: EmbeddedLogger): void {
  if (isLoopback(host)) return;
  if (options.authFile === undefined) {
    logger.error(`Warning: listening on ${host} without authentication; anyone who reaches it may do anything.`);
  } else if (options.tls === undefined) {
    logger.error(`Warning: access tokens cross ${host} in clear text; serve HTTPS with --tls-cert and --tls-key.`);
  }
}

/** Calls `report` with the count of events at most every ten seconds: refusals under attack must not flood the log. */
function everyTenSeconds(report: (count: number) => void): () => void {
  let count = 0;
  let last = 0;
  return () => {
    count++;
    const now = Date.now();
    if (now - last < 10_000) return;
    last = now;
    report(count);
    count = 0;
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
