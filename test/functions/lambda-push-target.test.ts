import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../../src/core/model.ts';
import { awsLambdaInvoker, type FunctionInvoker } from '../../src/push/function-invoker.ts';
import { inProcessInvoker } from '../../src/push/in-process-invoker.ts';
import { LambdaPushTarget } from '../../src/push/lambda-push-target.ts';
import { failedIdsFrom, type NimbusPushEvent, type NimbusPushResponse } from '../../src/push/push-event.ts';

function message(msgId: string, body: string | Uint8Array): ReceivedMessage {
  return {
    msgId,
    topic: 'orders',
    queueId: 0,
    queueOffset: Number(msgId.replace(/\D/g, '') || 0),
    body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
    tag: 'paid',
    keys: ['k1'],
    properties: { region: 'eu' },
    bornTimestamp: 1,
    storeTimestamp: 2,
    expireAt: 3,
    deliveryAttempt: 1,
    receiptHandle: 'secret-handle',
    invisibleUntil: 4,
  };
}

describe('LambdaPushTarget', () => {
  it('invokes the function with the push event and maps batchItemFailures to failed ids', async () => {
    const events: NimbusPushEvent[] = [];
    const invoker = inProcessInvoker({
      billing: {
        handler: async (event) => {
          const push = event as NimbusPushEvent;
          events.push(push);
          const failed = push.messages.filter((m) => m.body === 'bad');
          return { batchItemFailures: failed.map((m) => ({ itemIdentifier: m.msgId })) } satisfies NimbusPushResponse;
        },
      },
    });
    const target = new LambdaPushTarget(invoker, 'billing');
    const result = await target.invoke({ group: 'g1', messages: [message('m1', 'good'), message('m2', 'bad')] });
    expect(result.failedMsgIds).toEqual(['m2']);
    expect(events).toHaveLength(1);
    const [first] = events[0]?.messages ?? [];
    expect(events[0]).toMatchObject({ source: 'nimbus-mq', group: 'g1' });
    expect(first).toEqual({
      msgId: 'm1',
      topic: 'orders',
      queueId: 0,
      queueOffset: 1,
      body: 'good',
      bodyEncoding: 'utf8',
      tag: 'paid',
      keys: ['k1'],
      properties: { region: 'eu' },
      bornTimestamp: 1,
      storeTimestamp: 2,
      deliveryAttempt: 1,
    });
  });

  it('sends binary bodies as base64', async () => {
    const seen: NimbusPushEvent[] = [];
    const invoker = inProcessInvoker({ f: { handler: async (event) => void seen.push(event as NimbusPushEvent) } });
    await new LambdaPushTarget(invoker, 'f').invoke({
      group: 'g',
      messages: [message('m1', new Uint8Array([0xff, 0]))],
    });
    expect(seen[0]?.messages[0]).toMatchObject({ body: '/wA=', bodyEncoding: 'base64' });
  });

  it('fails every message when the function throws (Lambda reports FunctionError)', async () => {
    const invoker = inProcessInvoker({
      f: {
        handler: async () => {
          throw new Error('boom');
        },
      },
    });
    const result = await new LambdaPushTarget(invoker, 'f').invoke({
      group: 'g',
      messages: [message('m1', 'a'), message('m2', 'b')],
    });
    expect(result.failedMsgIds).toEqual(['m1', 'm2']);
  });

  it('lets an invoke error (throttling, permissions) fail the whole batch', async () => {
    const invoker = inProcessInvoker({});
    await expect(
      new LambdaPushTarget(invoker, 'missing').invoke({ group: 'g', messages: [message('m1', 'a')] }),
    ).rejects.toThrow('Function not found: missing');
  });

  it('splits a batch larger than the 6 MB invoke limit into several invocations', async () => {
    const sizes: number[] = [];
    const invoker: FunctionInvoker = {
      async invoke(_name, payload) {
        sizes.push(payload.length);
        return { payload: 'null' };
      },
    };
    const big = 'x'.repeat(2 * 1024 * 1024);
    const messages = [message('m1', big), message('m2', big), message('m3', big), message('m4', big)];
    const result = await new LambdaPushTarget(invoker, 'f').invoke({ group: 'g', messages });
    expect(result.failedMsgIds).toEqual([]);
    expect(sizes.length).toBe(2);
    for (const size of sizes) expect(size).toBeLessThan(6 * 1024 * 1024);
  });
});

describe('failedIdsFrom', () => {
  const ids = ['a', 'b'];
  it('treats a missing or empty failure list as full success', () => {
    expect(failedIdsFrom(null, ids)).toEqual([]);
    expect(failedIdsFrom({ statusCode: 200 }, ids)).toEqual([]);
    expect(failedIdsFrom({ batchItemFailures: [] }, ids)).toEqual([]);
  });
  it('fails the whole batch when the failure list is malformed', () => {
    expect(failedIdsFrom({ batchItemFailures: 'a' }, ids)).toEqual(ids);
    expect(failedIdsFrom({ batchItemFailures: [{ itemIdentifier: '' }] }, ids)).toEqual(ids);
    expect(failedIdsFrom({ batchItemFailures: [{}] }, ids)).toEqual(ids);
  });
});

describe('awsLambdaInvoker', () => {
  it('calls the Lambda Invoke API synchronously and reports FunctionError', async () => {
    const requests: { url?: string; type?: string; body: string }[] = [];
    // Lambda's REST protocol as documented for Invoke: the function's result is the response body.
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        requests.push({ url: req.url, type: String(req.headers['x-amz-invocation-type']), body });
        const failing = req.url?.includes('failing');
        res.writeHead(200, {
          'content-type': 'application/json',
          ...(failing ? { 'x-amz-function-error': 'Unhandled' } : {}),
        });
        res.end(failing ? '{"errorType":"Error","errorMessage":"boom"}' : '{"batchItemFailures":[]}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = new LambdaClient({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
      const invoker = awsLambdaInvoker(client);
      expect(await invoker.invoke('subscriber', '{"x":1}')).toEqual({ payload: '{"batchItemFailures":[]}' });
      expect(await invoker.invoke('failing', '{}')).toEqual({
        functionError: 'Unhandled',
        payload: '{"errorType":"Error","errorMessage":"boom"}',
      });
      expect(requests[0]).toEqual({
        url: '/2015-03-31/functions/subscriber/invocations',
        type: 'RequestResponse',
        body: '{"x":1}',
      });
      client.destroy();
    } finally {
      server.close();
    }
  });
});
