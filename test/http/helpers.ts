import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Broker } from '../../src/core/broker.ts';
import { type Client, NimbusApiError } from '../../src/sdk/index.ts';
import type { StartServer, TestServer, TestServerOptions } from '../support/server.ts';

/** One server for the enclosing describe block; fails a test after which the server logged an error. */
export function useServer(start: StartServer, options?: () => TestServerOptions): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await start(options?.());
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(() => {
    expect(server?.loggedErrors ?? []).toEqual([]);
  });
  return () => {
    if (!server) throw new Error('server not started');
    return server;
  };
}

let counter = 0;

/** A name no other test uses, so tests sharing a server do not see each other's messages. */
export function unique(prefix: string): string {
  counter++;
  return `${prefix}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Messages ever appended to a topic (offsets never go back), straight from the store. */
export async function storedCount(broker: Broker, topic: string): Promise<number> {
  const found = await broker.store.getTopic(topic);
  if (!found) return 0;
  const queues = await broker.store.queueOffsets(topic, found.queueCount);
  return queues.reduce((sum, queue) => sum + queue.nextOffset, 0);
}

/** A topic and clustering groups subscribed to it with `*`. */
export async function topicWithGroups(
  client: Client,
  groups: number,
  options: { queueCount?: number; maxDeliveryAttempts?: number } = {},
) {
  const topic = unique('topic');
  await client.createTopic(topic, { queueCount: options.queueCount ?? 4 });
  const names: string[] = [];
  for (let i = 0; i < groups; i++) {
    const group = unique('group');
    await client.createGroup(group, {
      subscriptions: [{ topic }],
      maxDeliveryAttempts: options.maxDeliveryAttempts,
    });
    names.push(group);
  }
  return { topic, groups: names };
}

/** Awaits a call that must fail with this code and HTTP status (and optionally error class). */
export async function expectApiError(
  call: Promise<unknown>,
  expected: { code: string; status: number; type?: new (...args: never[]) => NimbusApiError },
): Promise<NimbusApiError> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected ${expected.code}`).toBeInstanceOf(expected.type ?? NimbusApiError);
  const apiError = error as NimbusApiError;
  expect({ code: apiError.code, status: apiError.status }).toEqual({ code: expected.code, status: expected.status });
  expect(apiError.requestId).toBeTruthy();
  return apiError;
}
