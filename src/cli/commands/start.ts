import { readFile } from 'node:fs/promises';
import { type EmbeddedServerOptions, startEmbeddedServer } from '../../local/embedded-server.ts';
import type { ServerLimits } from '../../local/limits.ts';
import type { EmbeddedLogger } from '../../local/logger.ts';
import { isLoopback } from '../../local/loopback.ts';
import { createStore, type StoreOptions } from '../../local/store-factory.ts';
import { intFlag, parseCommand, stringList, UsageError } from '../args.ts';

export const START_HELP = `nimbus start [--port 9800] [--host 127.0.0.1] [--data-dir ./.nimbus]
  Runs the embedded broker (HTTP API) until interrupted.
  Environment: NIMBUS_PORT, NIMBUS_HOST, NIMBUS_DATA_DIR.
  --auth-file FILE        principals, token hashes and permissions; SIGHUP reloads it
  --allow-unauthenticated listen on a non-loopback --host without --auth-file
  --tls-cert FILE --tls-key FILE   serve HTTPS
  --cors-origin URL...    foreign browser origins allowed to call it (default none)
  --allowed-host NAME...  Host header names besides the bound address and loopback
  --max-connections N --max-long-polls N --max-long-polls-per-client N   abuse limits
  --store dynamodb --dynamodb-endpoint URL [--table-prefix P] [--region R] [--bucket B]
    runs it on DynamoDB (DynamoDB Local, or real DynamoDB with the default credential chain).`;

/** Prints the server's log: info on stdout, errors on stderr with their request id and cause. */
export const startLogger: EmbeddedLogger = {
  info: (message) => console.log(message),
  error: (message, details) => {
    const { error, ...rest } = details ?? {};
    const context = Object.keys(rest).length === 0 ? '' : ` ${JSON.stringify(rest)}`;
    console.error(`${message}${context}`, error ?? '');
  },
};

/** `nimbus start`: the embedded broker in the foreground; SIGINT/SIGTERM close it gracefully, SIGHUP reloads the auth file. */
export async function startCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    store: { type: 'string' },
    'dynamodb-endpoint': { type: 'string' },
    'table-prefix': { type: 'string' },
    region: { type: 'string' },
    bucket: { type: 'string' },
    'cors-origin': { type: 'string', multiple: true },
    'no-cors': { type: 'boolean' },
    'allowed-host': { type: 'string', multiple: true },
    'auth-file': { type: 'string' },
    'allow-unauthenticated': { type: 'boolean' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'max-connections': { type: 'string' },
    'max-long-polls': { type: 'string' },
    'max-long-polls-per-client': { type: 'string' },
  });
  const port = intFlag(values.port ?? process.env.NIMBUS_PORT, 'port') ?? 9800;
  if (port < 0 || port > 65535) throw new UsageError('--port must be from 0 to 65535');
  const host = (values.host as string | undefined) ?? process.env.NIMBUS_HOST ?? '127.0.0.1';
  const dataDir = (values['data-dir'] as string | undefined) ?? process.env.NIMBUS_DATA_DIR ?? './.nimbus';
  const authFile = values['auth-file'] as string | undefined;
  if (!isLoopback(host) && authFile === undefined && values['allow-unauthenticated'] !== true) {
    throw new UsageError(
      `--host ${host} is reachable from other machines: pass --auth-file FILE with access tokens ` +
        '(see "nimbus auth token"), or --allow-unauthenticated to accept that anyone may use the broker',
    );
  }
  const security: EmbeddedServerOptions = {
    cors: corsPolicyFrom(values),
    authFile,
    allowUnauthenticated: values['allow-unauthenticated'] === true,
    allowedHosts: stringList(values['allowed-host']),
    tls: await tlsFrom(values),
    limits: limitsFrom(values),
  };
  const storeOptions = storeOptionsFrom(values, dataDir);
  const store = await createStore(storeOptions);
  const server = await startEmbeddedServer({ port, host, store, logger: startLogger, ...security }).catch(
    async (error: unknown) => {
      // The port is taken or the auth file is broken, say: release the store so the process can exit.
      await store.close();
      throw error;
    },
  );
  console.log(
    storeOptions.kind === 'sqlite'
      ? `Data in ${dataDir}`
      : `Store: DynamoDB ${storeOptions.endpoint ?? '(AWS)'}, tables ${storeOptions.tablePrefix ?? 'nimbus'}-*`,
  );
  const reload = () => {
    server.reloadAuth().catch((error: unknown) => {
      console.error(`Kept the previous principals: ${(error as Error).message}`);
    });
  };
  const stop = async () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('SIGHUP', reload);
    await server.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Without an auth file, a hangup keeps its default meaning (stop).
  if (authFile !== undefined) process.on('SIGHUP', reload);
}

function corsPolicyFrom(values: Record<string, unknown>): EmbeddedServerOptions['cors'] {
  const origins = stringList(values['cors-origin']);
  if (values['no-cors'] === true && origins.length > 0) throw new UsageError('--no-cors and --cors-origin conflict');
  if (origins.length === 0) return false;
  return origins.includes('*') ? '*' : origins;
}

async function tlsFrom(values: Record<string, unknown>): Promise<EmbeddedServerOptions['tls']> {
  const cert = values['tls-cert'] as string | undefined;
  const key = values['tls-key'] as string | undefined;
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) throw new UsageError('--tls-cert and --tls-key go together');
  return { cert: await readFile(cert), key: await readFile(key) };
}

function limitsFrom(values: Record<string, unknown>): Partial<ServerLimits> {
  const limits: Partial<ServerLimits> = {};
  const flags = {
    maxConnections: 'max-connections',
    maxLongPolls: 'max-long-polls',
    maxLongPollsPerClient: 'max-long-polls-per-client',
  } as const;
  for (const [field, flag] of Object.entries(flags) as [keyof typeof flags, string][]) {
    const value = intFlag(values[flag], flag);
    if (value === undefined) continue;
    if (value < 1) throw new UsageError(`--${flag} must be at least 1`);
    limits[field] = value;
  }
  return limits;
}

function storeOptionsFrom(values: Record<string, unknown>, dataDir: string): StoreOptions {
  const kind = (values.store as string | undefined) ?? 'sqlite';
  const text = (name: string) => values[name] as string | undefined;
  if (kind === 'sqlite') {
    const misplaced = ['dynamodb-endpoint', 'table-prefix', 'region', 'bucket'].filter(
      (name) => values[name] !== undefined,
    );
    if (misplaced.length > 0) throw new UsageError(`--${misplaced[0]} needs --store dynamodb`);
    return { kind: 'sqlite', dataDir };
  }
  if (kind === 'dynamodb') {
    return {
      kind: 'dynamodb',
      endpoint: text('dynamodb-endpoint'),
      region: text('region'),
      tablePrefix: text('table-prefix'),
      bucket: text('bucket'),
    };
  }
  throw new UsageError(`--store must be sqlite or dynamodb (got "${kind}")`);
}
