import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PushRunReport } from '../../src/core/push-delivery.ts';
import type { PushDriverEvent } from '../../src/lambda/push-driver-event.ts';
import { inProcessInvoker } from '../../src/push/in-process-invoker.ts';
import type { NimbusPushEvent, NimbusPushResponse } from '../../src/push/push-event.ts';
import type { Client } from '../../src/sdk/client.ts';
import { Producer } from '../../src/sdk/producer.ts';
import {
  apiGatewayClient,
  invoke,
  type LambdaEnvironment,
  loadHttpHandlers,
  startLambdaEnvironment,
} from './lambda-harness.ts';
import { uncoveredCalls } from './store-calls.ts';

/**
 * The push-deliver function on DynamoDB Local: a schedule that fires while the previous run
 * still waits for its subscriber is skipped, and the subscriber never sees more than
 * `maxConcurrency` invocations at once.
 */
let env: LambdaEnvironment;
let client: Client;

beforeAll(async () => {
  env = await startLambdaEnvironment();
  client = apiGatewayClient(await loadHttpHandlers());
});

afterAll(async () => {
  await env?.stop();
});

describe('push-deliver runs of one subscription', () => {
  it('skip while an earlier run has invocations in flight, and report it as PushRunSkipped', async () => {
    await client.createTopic('invoices', { queueCount: 2 });
    await client.createGroup('mailers', { subscriptions: [{ topic: 'invoices' }] });
    await new Producer(client).sendBatch(
      'invoices',
      Array.from({ length: 6 }, (_, i) => `invoice-${i}`),
    );
    // A slow subscriber: every invocation waits until the test lets it finish.
    const gate = Promise.withResolvers<void>();
    const seen = { inFlight: 0, maxInFlight: 0, bodies: [] as string[] };
    const subscriber = async (event: unknown): Promise<NimbusPushResponse> => {
      seen.inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      await gate.promise;
      seen.bodies.push(...(event as NimbusPushEvent).messages.map((message) => message.body));
      seen.inFlight--;
      return { batchItemFailures: [] };
    };
    const { createPushDeliverHandler } = await import('../../src/lambda/push-deliver-handler.ts');
    const { metrics } = await import('../../src/lambda/observability.ts');
    const published = vi.spyOn(metrics, 'addMetric');
    const handler = createPushDeliverHandler(inProcessInvoker({ mailer: { handler: subscriber } }));
    const schedule: PushDriverEvent = {
      subscription: {
        group: 'mailers',
        functionName: 'mailer',
        batchSize: 1,
        maxConcurrency: 2,
        invisibleDurationMs: 60_000,
        continuousPolling: false,
        runWindowMs: 50_000,
      },
    };

    const first = invoke(handler, schedule, 'push-deliver', 900_000) as Promise<PushRunReport>;
    await vi.waitFor(() => expect(seen.inFlight).toBe(2), { timeout: 10_000 });
    const second: PushRunReport = await invoke(handler, schedule, 'push-deliver', 900_000);
    expect(second).toMatchObject({ skipped: 'another-run-in-progress', delivered: 0 });
    expect(published).toHaveBeenCalledWith('PushRunSkipped', 'Count', 1);

    gate.resolve();
    expect(await first).toMatchObject({ delivered: 6, acked: 6 });
    expect(seen.bodies.sort()).toEqual(Array.from({ length: 6 }, (_, i) => `invoice-${i}`));
    expect(seen.maxInFlight).toBe(2);

    // The first run released the lock: the next one runs (and finds the group drained).
    const third: PushRunReport = await invoke(handler, schedule, 'push-deliver', 900_000);
    expect(third).toMatchObject({ delivered: 0 });
    expect(third.skipped).toBeUndefined();
    expect(published).toHaveBeenCalledWith('PushRunSkipped', 'Count', 0);
    // The lock's put and conditional delete are within the push-deliver role.
    expect(uncoveredCalls()).toEqual([]);
    published.mockRestore();
  }, 60_000);
});
