import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../src/api/openapi.ts';
import { startSqliteServer, type TestServer } from '../support/server.ts';
import { useTypedClient } from './typed-client.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
/** openapi-typescript needs the TypeScript 5 compiler API; its own package keeps it apart from the project's. */
const generator = join(root, 'test/openapi/typegen/node_modules/openapi-typescript/bin/cli.js');

/** Mistakes a generated client must catch at compile time; each marked line must fail to compile. */
const WRONG_CLIENT = `import createClient from 'openapi-fetch';
import type { paths } from 'nimbus-openapi-types';

export async function wrong() {
  const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:9800' });
  const group = { params: { path: { group: 'billing' } } };
  await client.POST('/v1/groups/{group}/receive', { ...group, body: { maxMessages: '3' } }); // MISTAKE
  await client.POST('/v1/groups/{group}/ack', { ...group, body: {} }); // MISTAKE
  await client.POST('/v1/groups/{group}/receiv', { ...group, body: {} }); // MISTAKE
  await client.PUT('/v1/topics/{topic}', { params: { path: { topic: 't' } }, body: { retentionHours: '48' } }); // MISTAKE
  await client.GET('/v1/groups/{group}/dlq', { params: { path: { group: 'g' }, query: { limit: '10' } } }); // MISTAKE
  await client.POST('/v1/topics/{topic}/messages', { params: { path: { topic: 't' } }, body: { tag: 'x' } }); // MISTAKE
}
`;

describe('a client generated from /openapi.json', () => {
  // Inside node_modules so the client's imports (openapi-fetch) resolve as from the project.
  const cache = join(root, 'node_modules/.cache');
  let dir: string;
  let server: TestServer | undefined;

  beforeAll(async () => {
    mkdirSync(cache, { recursive: true });
    dir = mkdtempSync(join(cache, 'nimbus-typed-client-'));
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(buildOpenApiDocument()));
    await run(process.execPath, [generator, join(dir, 'openapi.json'), '-o', join(dir, 'api-types.ts')]);
    writeFileSync(join(dir, 'wrong-client.ts'), WRONG_CLIENT);
    const tsconfig = {
      extends: join(root, 'tsconfig.json'),
      compilerOptions: { types: [], paths: { 'nimbus-openapi-types': ['./api-types.ts'] } },
      include: [],
      files: [join(root, 'test/openapi/typed-client.ts'), './wrong-client.ts'],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('type-checks the typed client and refuses each mistake of a wrong one', async () => {
    const output = await run(join(root, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')]).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    const errors = output.split('\n').filter((line) => /error TS\d+/.test(line));
    expect(errors.filter((line) => !line.includes('wrong-client.ts'))).toEqual([]);
    const failing = new Set(errors.map((line) => Number(/wrong-client\.ts\((\d+),/.exec(line)?.[1])));
    const marked = WRONG_CLIENT.split('\n').flatMap((line, index) => (line.endsWith('// MISTAKE') ? [index + 1] : []));
    expect([...failing].sort((a, b) => a - b)).toEqual(marked);
  }, 60_000);

  it('works against the embedded server, optional bodies and kept topic settings included', async () => {
    server = await startSqliteServer();
    const result = await useTypedClient(server.url);
    expect(result).toEqual({
      queueCount: 4,
      afterRetentionUpdate: { queueCount: 4, retentionHours: 48 },
      afterBodylessPut: 48,
      subscriptions: [{ topic: 'typed-orders', tagExpression: 'paid || refunded' }],
      sentOne: true,
      sentBatch: 2,
      received: ['one', 'two'],
      acked: [true, true],
      leftAfterAck: 0,
      deadLetters: 0,
      health: 'ok',
      refused: { status: 400, code: 'EMPTY_BODY' },
      requestId: expect.any(String),
    });
    expect(server.loggedErrors).toEqual([]);
  });
});
