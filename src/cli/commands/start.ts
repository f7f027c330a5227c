import { startEmbeddedServer } from '../../local/embedded-server.ts';
import { createStore, type StoreOptions } from '../../local/store-factory.ts';
import { intFlag, parseCommand, stringList, UsageError } from '../args.ts';

export const START_HELP = `nimbus start [--port 9800] [--host 127.0.0.1] [--data-dir ./.nimbus] [--cors-origin URL]... [--no-cors]
  Runs the embedded broker (HTTP API) until interrupted. Browsers on any origin may call it
  unless --cors-origin names the allowed ones or --no-cors turns CORS off.
  Environment: NIMBUS_PORT, NIMBUS_HOST, NIMBUS_DATA_DIR.
  --store dynamodb --dynamodb-endpoint URL [--table-prefix P] [--region R] [--bucket B]
    runs it on DynamoDB (DynamoDB Local, or real DynamoDB with the default credential chain).`;

/** `nimbus start`: the embedded broker in the foreground; SIGINT/SIGTERM close it gracefully. */
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
  });
  const port = intFlag(values.port ?? process.env.NIMBUS_PORT, 'port') ?? 9800;
  if (port < 0 || port > 65535) throw new UsageError('--port must be from 0 to 65535');
  const host = (values.host as string | undefined) ?? process.env.NIMBUS_HOST ?? '127.0.0.1';
  const dataDir = (values['data-dir'] as string | undefined) ?? process.env.NIMBUS_DATA_DIR ?? './.nimbus';
  const corsOrigins = stringList(values['cors-origin']);
  if (values['no-cors'] === true && corsOrigins.length > 0)
    throw new UsageError('--no-cors and --cors-origin conflict');
  const cors =
    values['no-cors'] === true ? false : corsOrigins.length === 0 || corsOrigins.includes('*') ? '*' : corsOrigins;
  const storeOptions = storeOptionsFrom(values, dataDir);
  const store = await createStore(storeOptions);
  const server = await startEmbeddedServer({
    port,
    host,
    store,
    cors,
    logger: {
      info: (message) => console.log(message),
      error: (message, details) => console.error(message, details?.error ?? ''),
    },
  }).catch(async (error: unknown) => {
    // The port is taken, say: release the store so the process can exit with the error.
    await store.close();
    throw error;
  });
  console.log(
    storeOptions.kind === 'sqlite'
      ? `Data in ${dataDir}`
      : `Store: DynamoDB ${storeOptions.endpoint ?? '(AWS)'}, tables ${storeOptions.tablePrefix ?? 'nimbus'}-*`,
  );
  const stop = async () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await server.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
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
