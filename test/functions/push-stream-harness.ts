import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { NEW_SEGMENT_FILTER, PUSH_STREAM_SOURCE } from '../../lib/push-stream-trigger.ts';
import type { PushSubscriptionSettings } from '../../src/lambda/push-driver-event.ts';
import type { PushStreamReport } from '../../src/lambda/push-stream-handler.ts';
import { type InProcessFunctionConfig, inProcessInvoker } from '../../src/push/in-process-invoker.ts';
import type { NimbusPushEvent } from '../../src/push/push-event.ts';
import type { Client } from '../../src/sdk/client.ts';
import { Producer } from '../../src/sdk/producer.ts';
import { invoke } from './lambda-harness.ts';
import type { MessagesStream } from './messages-stream.ts';

/** The event source mapping of the stack (lib/push-stream-trigger.ts), as far as the harness plays it. */
export const STREAM_SOURCE = {
  /** Lambda reads each shard about four times a second. */
  pollIntervalMs: 250,
  /** MaximumBatchingWindow: records wait this long for company before the function is invoked. */
  batchWindowMs: PUSH_STREAM_SOURCE.maxBatchingWindow.toMilliseconds(),
  batchSize: PUSH_STREAM_SOURCE.batchSize,
};

/** The event source's filter, the very pattern the stack deploys (NEW_SEGMENT_FILTER). */
export function passesStreamFilter(record: DynamoDBRecord): boolean {
  return matchesFilterPattern(NEW_SEGMENT_FILTER, record);
}

/**
 * Lambda's event filtering, for the rules the stack uses: an array lists accepted values
 * (strings, or `{ exists: true }` for "present"); an object matches field by field.
 */
export function matchesFilterPattern(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((rule) =>
      typeof rule === 'object' && rule !== null && 'exists' in rule
        ? (value !== undefined) === rule.exists
        : rule === value,
    );
  }
  if (typeof pattern !== 'object' || pattern === null) throw new Error(`unsupported filter rule ${String(pattern)}`);
  if (typeof value !== 'object' || value === null) {
    // A missing object matches only rules that all ask for absence.
    return Object.values(pattern).every((rule) => matchesFilterPattern(rule, undefined));
  }
  return Object.entries(pattern).every(([key, rule]) =>
    matchesFilterPattern(rule, (value as Record<string, unknown>)[key]),
  );
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

/** What a subscribed in-process function saw. */
export interface SubscriberLog {
  /** Bodies in the order of delivery (a body twice is a redelivery). */
  bodies: string[];
  /** Epoch ms of each body's first invocation. */
  firstSeenAt: Map<string, number>;
  invocations: number;
  inFlight: number;
  maxInFlight: number;
}

/**
 * A subscribed function that logs what it gets and reports the messages `fails` picks
 * as failed (partial batch response).
 */
export function loggingSubscriber(fails: (body: string) => boolean = () => false): {
  log: SubscriberLog;
  config: InProcessFunctionConfig;
} {
  const log: SubscriberLog = { bodies: [], firstSeenAt: new Map(), invocations: 0, inFlight: 0, maxInFlight: 0 };
  const handler = async (event: unknown) => {
    const now = Date.now();
    log.invocations++;
    log.inFlight++;
    log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
    try {
      const messages = (event as NimbusPushEvent).messages;
      for (const message of messages) {
        log.bodies.push(message.body);
        if (!log.firstSeenAt.has(message.body)) log.firstSeenAt.set(message.body, now);
      }
      // Some work, so batches in flight overlap as they would in a real function.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const failed = messages.filter((message) => fails(message.body));
      return { batchItemFailures: failed.map((message) => ({ itemIdentifier: message.msgId })) };
    } finally {
      log.inFlight--;
    }
  };
  return { log, config: { handler, timeoutMs: 60_000 } };
}

export interface BurstOutcome {
  sent: number;
  /** Send (start of the request) to the function's first invocation with the message, ms. */
  latenciesMs: number[];
  streamInvocations: number;
  driverStarts: number;
  log: SubscriberLog;
}

/**
 * Sends `bursts` bursts of `perBurst` messages (batches of 25 sent at once), `pauseMs`
 * apart, to a topic one subscription pushes to, and waits until the function has seen
 * every message once. The figures of the bench and the assertions of the tests.
 */
export async function pushBursts(deps: {
  client: Client;
  stream: MessagesStream;
  topic: string;
  group: string;
  bursts: number;
  perBurst: number;
  pauseMs: number;
  maxConcurrency: number;
  timeoutMs: number;
}): Promise<BurstOutcome> {
  await deps.client.createTopic(deps.topic, { queueCount: 8 });
  await deps.client.createGroup(deps.group, { subscriptions: [{ topic: deps.topic }] });
  const subscriber = loggingSubscriber();
  const trigger = await startStreamTrigger({
    stream: deps.stream,
    subscriptions: [subscriptionOf(deps.group, deps.group, { maxConcurrency: deps.maxConcurrency })],
    targets: { [deps.group]: subscriber.config },
  });
  const producer = new Producer(deps.client);
  const sentAt = new Map<string, number>();
  try {
    for (let burst = 0; burst < deps.bursts; burst++) {
      const bodies = Array.from({ length: deps.perBurst }, (_, i) => `${deps.topic}-${burst}-${i}`);
      const batches = Array.from({ length: Math.ceil(bodies.length / 25) }, (_, i) =>
        bodies.slice(i * 25, i * 25 + 25),
      );
      await Promise.all(
        batches.map(async (batch) => {
          const start = Date.now();
          for (const body of batch) sentAt.set(body, start);
          await producer.sendBatch(deps.topic, batch);
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, deps.pauseMs));
    }
    const deadline = Date.now() + deps.timeoutMs;
    while (subscriber.log.firstSeenAt.size < sentAt.size && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await trigger.stop();
  }
  const latenciesMs = [...sentAt].flatMap(([body, at]) => {
    const seen = subscriber.log.firstSeenAt.get(body);
    return seen === undefined ? [] : [seen - at];
  });
  return {
    sent: sentAt.size,
    latenciesMs,
    streamInvocations: trigger.streamInvocations,
    driverStarts: trigger.driverStarts,
    log: subscriber.log,
  };
}
