import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_MESSAGE_BYTES } from '../../src/lambda/http-function.ts';
import { createPushDeliverHandler, PUSH_BODY_BYTES_IN_FLIGHT } from '../../src/lambda/push-deliver-handler.ts';
import type { PushDriverEvent } from '../../src/lambda/push-driver-event.ts';
import { inProcessInvoker } from '../../src/push/in-process-invoker.ts';
import type { NimbusPushEvent } from '../../src/push/push-event.ts';
import {
  type HttpHandlers,
  httpEvent,
  invoke,
  type LambdaEnvironment,
  loadHttpHandlers,
  startLambdaEnvironment,
} from './lambda-harness.ts';

/** Lambda's limit for a synchronous response (what API Gateway gets back), in bytes. */
const LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024;

let env: LambdaEnvironment;
let http: HttpHandlers;

beforeAll(async () => {
  env = await startLambdaEnvironment();
  http = await loadHttpHandlers();
});

afterAll(async () => {
  await env?.stop();
});

const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function call(fn: keyof HttpHandlers, method: string, url: string, body?: unknown) {
  const result = await invoke(http[fn], httpEvent({ method, url, ...(body === undefined ? {} : json(body)) }), fn);
  expect(result.statusCode, result.body).toBeLessThan(300);
  return result;
}

/** One receive as the consume-pull function answers it: the whole Lambda response and its messages. */
async function receive(
  group: string,
): Promise<{ bytes: number; messages: { msgId: string; deliveryAttempt: number }[] }> {
  const result: APIGatewayProxyStructuredResultV2 = await call('consume-pull', 'POST', `/v1/groups/${group}/receive`, {
    maxMessages: 32,
    invisibleDurationMs: 10_000,
  });
  // Lambda serializes the whole result object, so the body string is escaped once more.
  return { bytes: Buffer.byteLength(JSON.stringify(result)), messages: JSON.parse(result.body ?? '').messages };
}

describe('consume-pull response size', () => {
  it('keeps a receive of large messages under the Lambda response limit; the rest come with the next receives', async () => {
    await call('admin', 'PUT', '/v1/topics/scans', { queueCount: 1 });
    await call('admin', 'PUT', '/v1/groups/ocr', { subscriptions: [{ topic: 'scans', tagExpression: '*' }] });
    // Random bytes go out as base64: the worst case of the response encoding (4/3).
    for (let i = 0; i < 3; i++) {
      const body = randomBytes(4 * 1024 * 1024).toString('base64');
      await call('send', 'POST', '/v1/topics/scans/messages', { body, bodyEncoding: 'base64' });
    }
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const { bytes, messages } = await receive('ocr');
      expect(bytes).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
      expect(messages.map((message) => message.deliveryAttempt)).toEqual([1]);
      seen.add(messages[0]?.msgId ?? '');
    }
    expect(seen.size).toBe(3);
    expect((await receive('ocr')).messages).toEqual([]);

    // Unacked, all three come due together: redelivery is capped the same way, the rest stay due.
    await new Promise((resolve) => setTimeout(resolve, 10_500));
    const again = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const { bytes, messages } = await receive('ocr');
      expect(bytes).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
      expect(messages.map((message) => message.deliveryAttempt)).toEqual([2]);
      again.add(messages[0]?.msgId ?? '');
    }
    expect(again).toEqual(seen);
  }, 60_000);

  it('still fills a receive with small messages up to the budget', async () => {
    await call('admin', 'PUT', '/v1/topics/notes', { queueCount: 1 });
    await call('admin', 'PUT', '/v1/groups/readers', { subscriptions: [{ topic: 'notes', tagExpression: '*' }] });
    const size = 1024 * 1024;
    for (let i = 0; i < 6; i++) await call('send', 'POST', '/v1/topics/notes/messages', { body: 'n'.repeat(size) });
    const { messages } = await receive('readers');
    expect(messages).toHaveLength(Math.floor(MAX_RESPONSE_MESSAGE_BYTES / size));
  }, 60_000);
});

describe('admin dead-letter pages', () => {
  it('end a page of large dead letters under the Lambda response limit; nextToken leads to the rest', async () => {
    await call('admin', 'PUT', '/v1/topics/faxes', { queueCount: 1 });
    await call('admin', 'PUT', '/v1/groups/fax-in', {
      subscriptions: [{ topic: 'faxes', tagExpression: '*' }],
      maxDeliveryAttempts: 1,
    });
    for (let i = 0; i < 3; i++) {
      const body = randomBytes(2 * 1024 * 1024).toString('base64');
      await call('send', 'POST', '/v1/topics/faxes/messages', { body, bodyEncoding: 'base64' });
    }
    for (let dead = 0; dead < 3; ) {
      const result = await call('consume-pull', 'POST', '/v1/groups/fax-in/receive', { maxMessages: 32 });
      const handles = (JSON.parse(result.body ?? '') as { messages: { receiptHandle: string }[] }).messages.map(
        (message) => message.receiptHandle,
      );
      // At its last attempt, a nack moves the message to the dead-letter queue.
      await call('consume-pull', 'POST', '/v1/groups/fax-in/nack', { receiptHandles: handles });
      dead += handles.length;
    }
    const listed: string[] = [];
    let after: string | undefined;
    for (let pages = 1; ; pages++) {
      const query = after === undefined ? '' : `?after=${encodeURIComponent(after)}`;
      const result = await call('admin', 'GET', `/v1/groups/fax-in/dlq${query}`);
      expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
      const page = JSON.parse(result.body ?? '') as { deadLetters: { msgId: string }[]; nextToken?: string };
      expect(page.deadLetters.length).toBeGreaterThan(0);
      listed.push(...page.deadLetters.map((letter) => letter.msgId));
      after = page.nextToken;
      if (after === undefined) break;
      expect(pages).toBeLessThan(3);
    }
    expect(new Set(listed).size).toBe(3);
  }, 60_000);
});

describe('push-deliver batch bodies', () => {
  it('splits the bodies a run holds between its batches in flight', async () => {
    await call('admin', 'PUT', '/v1/topics/videos', { queueCount: 1 });
    await call('admin', 'PUT', '/v1/groups/encoder', { subscriptions: [{ topic: 'videos', tagExpression: '*' }] });
    const size = 1024 * 1024;
    for (let i = 0; i < 7; i++) await call('send', 'POST', '/v1/topics/videos/messages', { body: `${i}`.repeat(size) });
    const batches: number[][] = [];
    const handler = createPushDeliverHandler(
      inProcessInvoker({
        encoder: {
          handler: async (event) => {
            batches.push((event as NimbusPushEvent).messages.map((message) => message.body.length));
            return { batchItemFailures: [] };
          },
        },
      }),
    );
    const maxConcurrency = 16;
    const schedule: PushDriverEvent = {
      subscription: {
        group: 'encoder',
        functionName: 'encoder',
        batchSize: 32,
        maxConcurrency,
        invisibleDurationMs: 60_000,
        continuousPolling: false,
        runWindowMs: 5_000,
      },
    };
    const report = await invoke(handler, schedule, 'push-deliver', 900_000);
    expect(report).toMatchObject({ delivered: 7, acked: 7 });
    const perBatch = PUSH_BODY_BYTES_IN_FLIGHT / maxConcurrency;
    for (const batch of batches) {
      const bytes = batch.reduce((sum, n) => sum + n, 0);
      expect(batch.length === 1 || bytes <= perBatch, `${batch.length} bodies, ${bytes} bytes`).toBe(true);
    }
  }, 60_000);
});
