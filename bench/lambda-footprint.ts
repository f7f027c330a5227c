import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { startFauxqs } from 'fauxqs';
import { FUNCTION_BUNDLING } from '../lib/function-bundling.ts';
import { openDynamoDbStore } from '../src/adapters/dynamodb/index.ts';
import { InProcessNotifier } from '../src/adapters/system/in-process-notifier.ts';
import { randomIds, systemClock } from '../src/adapters/system/system-clock.ts';
import { systemTimers } from '../src/adapters/system/system-timers.ts';
import { createBroker } from '../src/core/broker.ts';
import { lambdaContext } from '../src/push/in-process-invoker.ts';
import { startDynamoDbLocal } from '../test/support/dynamodb-local.ts';
import { printTable } from './report.ts';
import { round } from './stats.ts';

/*
 * `npx node bench/lambda-footprint.ts [--quick]`: what each API function costs in memory and
 * CPU, measured on this machine. Each function runs in its own Node 24 process from the
 * bundle the stack deploys, against DynamoDB Local and fauxqs (S3): the cold init (import
 * of the bundle plus the first request), then warm requests. Lambda itself cannot run
 * here, so durations on Lambda are not measured; see README, "Memory sizes".
 */

const ROOT = path.resolve(import.meta.dirname, '..');
const BODY_1KIB = 'x'.repeat(1024);

interface Workload {
  name: string;
  requests: number;
  /** The HTTP calls of one request, built after the previous answers (receipt handles). */
  call(previous: string | undefined): { method: string; path: string; body?: unknown };
}

const WORKLOADS: Record<string, (quick: boolean) => Workload[]> = {
  send: (quick) => [
    { name: 'send 1 x 1 KiB', requests: quick ? 100 : 500, call: () => sendCall(1) },
    { name: 'send 32 x 1 KiB', requests: quick ? 30 : 150, call: () => sendCall(32) },
  ],
  'consume-pull': (quick) => [
    {
      name: 'receive 32 + ack 32 (two requests)',
      requests: quick ? 30 : 150,
      call: (previous) =>
        previous?.startsWith('{"messages"')
          ? {
              method: 'POST',
              path: '/v1/groups/footprint/ack',
              body: {
                receiptHandles: JSON.parse(previous).messages.map((m: { receiptHandle: string }) => m.receiptHandle),
              },
            }
          : { method: 'POST', path: '/v1/groups/footprint/receive', body: { maxMessages: 32, waitMs: 0 } },
    },
  ],
  admin: (quick) => [
    {
      name: 'GET /v1/topics, GET /healthz',
      requests: quick ? 100 : 500,
      call: (p) => ({ method: 'GET', path: p?.includes('topics') ? '/healthz' : '/v1/topics' }),
    },
  ],
};

function sendCall(count: number) {
  const messages = Array.from({ length: count }, () => ({ body: BODY_1KIB }));
  return { method: 'POST', path: '/v1/topics/footprint/messages', body: count === 1 ? messages[0] : { messages } };
}

/** The fields of an API Gateway HTTP API event (payload 2.0) the functions read. */
function httpEvent(method: string, rawPath: string, body?: unknown) {
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'api.example' },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { http: { method, path: rawPath }, requestId: randomUUID() },
  };
}

interface FunctionFootprint {
  function: string;
  initCpuMs: number;
  initWallMs: number;
  firstRequestCpuMs: number;
  rssAfterInitMb: number;
  workloads: { name: string; requests: number; cpuMsPerRequest: number }[];
  heapUsedMb: number;
  peakRssMb: number;
}

/** Child: one function's bundle, imported and invoked in this process only. */
async function measureChild(name: string, bundle: string, quick: boolean): Promise<FunctionFootprint> {
  const before = process.cpuUsage();
  const startedAt = performance.now();
  const { handler } = (await import(bundle)) as {
    handler: (event: unknown, context: unknown) => Promise<{ body?: string }>;
  };
  const initCpu = process.cpuUsage(before);
  const initWallMs = performance.now() - startedAt;
  const rssAfterInit = process.memoryUsage().rss;
  const invoke = async (call: { method: string; path: string; body?: unknown }) =>
    (
      await handler(
        httpEvent(call.method, call.path, call.body),
        lambdaContext(name, { timeoutMs: 29_000, memoryLimitInMB: 256 }),
      )
    ).body;
  const workloads = WORKLOADS[name]?.(quick) ?? [];
  const firstBefore = process.cpuUsage();
  let previous = await invoke(workloads[0]!.call(undefined));
  const firstCpu = process.cpuUsage(firstBefore);
  const results: FunctionFootprint['workloads'] = [];
  for (const workload of workloads) {
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < workload.requests; i++) previous = await invoke(workload.call(previous));
    const cpu = process.cpuUsage(cpuBefore);
    results.push({
      name: workload.name,
      requests: workload.requests,
      cpuMsPerRequest: round((cpu.user + cpu.system) / 1000 / workload.requests, 2),
    });
  }
  globalThis.gc?.();
  return {
    function: name,
    initCpuMs: round((initCpu.user + initCpu.system) / 1000, 0),
    initWallMs: round(initWallMs, 0),
    firstRequestCpuMs: round((firstCpu.user + firstCpu.system) / 1000, 0),
    rssAfterInitMb: round(rssAfterInit / 2 ** 20, 0),
    workloads: results,
    heapUsedMb: round(process.memoryUsage().heapUsed / 2 ** 20, 1),
    peakRssMb: round(process.resourceUsage().maxRSS / 1024, 0),
  };
}

async function bundleFunction(name: string, dir: string): Promise<string> {
  const outfile = path.join(dir, name, 'index.mjs');
  await build({
    absWorkingDir: ROOT,
    entryPoints: [path.join('functions', `${name}.ts`)],
    bundle: true,
    outfile,
    platform: FUNCTION_BUNDLING.platform,
    target: FUNCTION_BUNDLING.target,
    format: FUNCTION_BUNDLING.format,
    minify: FUNCTION_BUNDLING.minify,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    external: [...FUNCTION_BUNDLING.external],
    banner: { js: FUNCTION_BUNDLING.banner },
    logLevel: 'silent',
  });
  return outfile;
}

function runChild(
  name: string,
  bundle: string,
  env: Record<string, string>,
  quick: boolean,
): Promise<FunctionFootprint> {
  return new Promise((resolve, reject) => {
    const args = [
      '--expose-gc',
      import.meta.filename,
      '--child',
      name,
      '--bundle',
      bundle,
      ...(quick ? ['--quick'] : []),
    ];
    // Powertools warns on stderr after every invocation with metrics disabled: shown only on failure.
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let errors = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      errors = (errors + chunk).slice(-4000);
    });
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"function"'));
      if (code === 0 && line) resolve(JSON.parse(line) as FunctionFootprint);
      else reject(new Error(`footprint of ${name} failed (exit ${code}): ${out.slice(-2000)}\n${errors}`));
    });
  });
}

async function main(quick: boolean): Promise<void> {
  const [dynamo, s3] = await Promise.all([startDynamoDbLocal(), startFauxqs({ port: 0, logger: false })]);
  const dir = await mkdtemp(path.join(tmpdir(), 'nimbus-footprint-'));
  try {
    // Bundles resolve the AWS SDK (external, as on Lambda) from the project's node_modules.
    await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    await writeFile(path.join(dir, 'package.json'), '{"type":"module"}');
    s3.createBucket('footprint-bodies');
    const tablePrefix = `fp${Date.now().toString(36)}`;
    const store = await openDynamoDbStore({ endpoint: dynamo.endpoint, tablePrefix, createTables: true });
    const broker = createBroker({
      timers: systemTimers,
      store,
      clock: systemClock,
      ids: randomIds(),
      notifier: new InProcessNotifier(),
    });
    await broker.catalog.putTopic('footprint', { queueCount: 8 });
    await broker.catalog.putGroup('footprint', { subscriptions: [{ topic: 'footprint', tagExpression: '*' }] });
    const body = new TextEncoder().encode(BODY_1KIB);
    for (let i = 0; i < (quick ? 40 : 200); i++)
      await broker.producer.send(
        'footprint',
        Array.from({ length: 32 }, () => ({ body })),
      );
    await store.close();
    const env = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_S3: s3.address,
      NIMBUS_TABLE_PREFIX: tablePrefix,
      NIMBUS_BODY_BUCKET: 'footprint-bodies',
      POWERTOOLS_SERVICE_NAME: 'nimbus-mq',
      POWERTOOLS_METRICS_NAMESPACE: 'NimbusMQ',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    const rows: FunctionFootprint[] = [];
    for (const name of Object.keys(WORKLOADS))
      rows.push(await runChild(name, await bundleFunction(name, dir), env, quick));
    printTable(
      'Lambda functions on this machine: cold init (bundle import + first request) and memory',
      rows as never,
      ['function', 'initCpuMs', 'initWallMs', 'firstRequestCpuMs', 'rssAfterInitMb', 'heapUsedMb', 'peakRssMb'],
    );
    printTable(
      'CPU per warm request (this machine, one core)',
      rows.flatMap((row) => row.workloads.map((w) => ({ function: row.function, ...w }))) as never,
      ['function', 'name', 'requests', 'cpuMsPerRequest'],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
    await s3.stop();
    await dynamo.stop();
  }
}

const { values } = parseArgs({
  options: { child: { type: 'string' }, bundle: { type: 'string' }, quick: { type: 'boolean', default: false } },
});
if (values.child && values.bundle) {
  const footprint = await measureChild(values.child, values.bundle, values.quick === true);
  console.log(JSON.stringify(footprint));
  process.exit(0);
} else if (import.meta.main) {
  await main(values.quick === true);
}
