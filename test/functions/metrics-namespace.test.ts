import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Client } from '../../src/sdk/client.ts';
import { Producer } from '../../src/sdk/producer.ts';
import {
  apiGatewayClient,
  invoke,
  type LambdaEntry,
  type LambdaEnvironment,
  loadHttpHandlers,
  startLambdaEnvironment,
} from './lambda-harness.ts';

/** What the stack sets for a deployment whose tables are `staging-nimbus-*` (lib/monitoring.ts). */
const NAMESPACE = 'NimbusMQ/staging-nimbus';

/** One embedded-metric-format record, as CloudWatch reads it from a function's log. */
interface EmfRecord {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

let env: LambdaEnvironment;
let client: Client;
let backlogMetrics: LambdaEntry<unknown, { maxLag: number; groups: number }>;
const stdout: string[] = [];

beforeAll(async () => {
  env = await startLambdaEnvironment();
  // The stack's namespace for this deployment, and metrics written out as in Lambda (the harness mutes them).
  Object.assign(process.env, { POWERTOOLS_METRICS_NAMESPACE: NAMESPACE, POWERTOOLS_METRICS_DISABLED: 'false' });
  // Powertools writes EMF as JSON lines on stdout; CloudWatch Logs turns them into metrics.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  // Imported after the environment is set, as Lambda loads a function in a configured container.
  client = apiGatewayClient(await loadHttpHandlers());
  backlogMetrics = (await import('../../functions/backlog-metrics.ts')).handler;
});

afterAll(async () => {
  vi.restoreAllMocks();
  await env?.stop();
});

function emfRecords(): EmfRecord[] {
  return stdout
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfRecord);
}

describe('metrics published in the deployment namespace', () => {
  it('writes every EMF record of the functions, backlog and API alike, to the configured namespace', async () => {
    await client.createTopic('ns-orders', { queueCount: 2 });
    await client.createGroup('ns-billing', { subscriptions: [{ topic: 'ns-orders' }] });
    await new Producer(client).sendBatch('ns-orders', ['a', 'b', 'c']);
    const result = await invoke(backlogMetrics, {}, 'backlog-metrics', 60_000);
    expect(result.maxLag).toBe(3);

    const records = emfRecords();
    const named = (metric: string) =>
      records.filter((r) => r._aws.CloudWatchMetrics.some((d) => d.Metrics.some((m) => m.Name === metric)));
    // The alarm's metric: the service dimension only, as lib/monitoring.ts watches it.
    expect(named('MaxConsumerBacklog')).toEqual([
      expect.objectContaining({
        service: 'nimbus-mq',
        MaxConsumerBacklog: 3,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Namespace: NAMESPACE, Dimensions: [['service']] })],
        }),
      }),
    ]);
    expect(named('ConsumerBacklog')).toEqual([
      expect.objectContaining({ group: 'ns-billing', topic: 'ns-orders', ConsumerBacklog: 3 }),
    ]);
    // The API functions' cold starts included: nothing goes to another deployment's namespace.
    expect(records.length).toBeGreaterThan(2);
    const namespaces = records.flatMap((r) => r._aws.CloudWatchMetrics.map((d) => d.Namespace));
    expect(new Set(namespaces)).toEqual(new Set([NAMESPACE]));
    for (const record of records) expect(record['service']).toBe('nimbus-mq');
  });
});
