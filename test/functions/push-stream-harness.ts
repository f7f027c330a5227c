import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { PushSubscriptionSettings } from '../../src/lambda/push-driver-event.ts';
import type { PushStreamReport } from '../../src/lambda/push-stream-handler.ts';
import { type InProcessFunctionConfig, inProcessInvoker } from '../../src/push/in-process-invoker.ts';
import { invoke } from './lambda-harness.ts';
import type { MessagesStream } from './messages-stream.ts';

/** The event source mapping of the stack (lib/push-stream-trigger.ts), as far as the harness plays it. */
export const STREAM_SOURCE = {
  /** Lambda reads each shard about four times a second. */
  pollIntervalMs: 250,
  /** MaximumBatchingWindow: records wait this long for company before the function is invoked. */
  batchWindowMs: 1_000,
  batchSize: 100,
};

/** The event source's filter: inserted items with a message block (new segments). */
export function passesStreamFilter(record: DynamoDBRecord): boolean {
  return record.eventName === 'INSERT' && record.dynamodb?.NewImage?.['m']?.B !== undefined;
}

export interface StreamTrigger {
  /** Push-stream invocations so far. */
  readonly streamInvocations: number;
  /** Push-deliver runs the nudges started so far. */
  readonly driverStarts: number;
  readonly reports: PushStreamReport[];
  /** Stops reading the stream and waits for the driver runs still going. */
  stop(): Promise<void>;
}

/**
 * Plays Lambda's part between the messages stream and the push functions: polls the stream,
 * filters and batches records like the event source mapping, invokes the push-stream
 * handler with them, and runs each asynchronous start of the push driver in this process
 * (with the subscribed functions in `targets`). Everything below the handlers is real:
 * DynamoDB Local, its stream, the run lock and the pending flag.
 */
export async function startStreamTrigger(deps: {
  stream: MessagesStream;
  subscriptions: PushSubscriptionSettings[];
  targets: Record<string, InProcessFunctionConfig>;
}): Promise<StreamTrigger> {
  const { createPushDeliverHandler } = await import('../../src/lambda/push-deliver-handler.ts');
  const { createPushStreamHandler } = await import('../../src/lambda/push-stream-handler.ts');
  const driver = createPushDeliverHandler(inProcessInvoker(deps.targets));
  const runs = new Set<Promise<unknown>>();
  const state = { streamInvocations: 0, driverStarts: 0, reports: [] as PushStreamReport[] };
  const streamHandler = createPushStreamHandler(
    {
      async start(payload) {
        state.driverStarts++;
        // An asynchronous invoke: the stream function does not wait for the run.
        const run = invoke(driver, JSON.parse(payload), 'push-deliver', 900_000).catch((error: unknown) => {
          console.error('push-deliver run failed', error);
        });
        runs.add(run);
        void run.finally(() => runs.delete(run));
      },
    },
    deps.subscriptions,
  );
  let stopped = false;
  const loop = (async () => {
    let batch: DynamoDBRecord[] = [];
    let firstAt = 0;
    while (!stopped) {
      const records = (await deps.stream.poll()).filter(passesStreamFilter);
      if (batch.length === 0 && records.length > 0) firstAt = Date.now();
      batch.push(...records);
      while (
        batch.length > 0 &&
        (batch.length >= STREAM_SOURCE.batchSize || Date.now() - firstAt >= STREAM_SOURCE.batchWindowMs)
      ) {
        const event: DynamoDBStreamEvent = { Records: batch.slice(0, STREAM_SOURCE.batchSize) };
        batch = batch.slice(STREAM_SOURCE.batchSize);
        firstAt = Date.now();
        state.streamInvocations++;
        state.reports.push(await invoke(streamHandler, event, 'push-stream', 60_000));
      }
      await new Promise((resolve) => setTimeout(resolve, STREAM_SOURCE.pollIntervalMs));
    }
  })();
  return {
    get streamInvocations() {
      return state.streamInvocations;
    },
    get driverStarts() {
      return state.driverStarts;
    },
    reports: state.reports,
    async stop() {
      stopped = true;
      await loop;
      while (runs.size > 0) await Promise.allSettled([...runs]);
    },
  };
}

/** A subscription's settings as the stack writes them, for an in-process function. */
export function subscriptionOf(group: string, functionName: string, overrides: Partial<PushSubscriptionSettings> = {}) {
  return {
    group,
    functionName,
    batchSize: 10,
    maxConcurrency: 2,
    invisibleDurationMs: 60_000,
    continuousPolling: false,
    runWindowMs: 50_000,
    ...overrides,
  } satisfies PushSubscriptionSettings;
}
