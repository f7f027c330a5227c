import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClaimCheck, s3EndpointFromEnvironment } from '../../src/adapters/dynamodb/claim-check.ts';
import { openDynamoDbStore } from '../../src/adapters/dynamodb/index.ts';
import { InProcessNotifier } from '../../src/adapters/system/in-process-notifier.ts';
import { randomIds, systemClock } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { createBroker } from '../../src/core/broker.ts';
import { awsLambdaInvoker } from '../../src/push/function-invoker.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local.ts';

/*
 * LocalStack support: every AWS client Nimbus creates takes its endpoint from
 * AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL alone, as in a LocalStack Lambda container
 * (which sets AWS_ENDPOINT_URL). Real emulators where there is one here (DynamoDB Local,
 * fauxqs for S3 and SQS), a recording HTTP server for the rest.
 */

let dynamo: DynamoDbLocal;
let fauxqs: FauxqsServer;
const savedEnvironment = { ...process.env };

beforeAll(async () => {
  [dynamo, fauxqs] = await Promise.all([startDynamoDbLocal(), startFauxqs({ port: 0, logger: false })]);
  fauxqs.createBucket('nimbus-bodies');
});

afterAll(async () => {
  await fauxqs?.stop();
  await dynamo?.stop();
});

afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in savedEnvironment)) delete process.env[name];
  Object.assign(process.env, savedEnvironment);
});

/** Credentials and region as a LocalStack setup has them, plus the endpoint variables given. */
function useEnvironment(endpoints: Record<string, string>): void {
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_ENDPOINT_URL')) delete process.env[name];
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ...endpoints,
  });
}

/** fauxqs by host name: virtual-hosted addressing would send `nimbus-bodies.localhost`, which resolves nowhere. */
const fauxqsByName = () => fauxqs.address.replace('127.0.0.1', 'localhost');

interface Recorder {
  url: string;
  requests: { method?: string; url?: string; target?: string }[];
  close(): Promise<void>;
}

/** An HTTP server that records what reaches it and answers with `answer`. */
async function startRecorder(
  answer: (request: IncomingMessage) => { status: number; body: string },
): Promise<Recorder> {
  const requests: Recorder['requests'] = [];
  const server: Server = createServer((request, response) => {
    requests.push({ method: request.method, url: request.url, target: request.headers['x-amz-target'] as string });
    request.resume();
    request.on('end', () => {
      const { status, body } = answer(request);
      response.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('AWS endpoints from the environment (LocalStack)', () => {
  for (const variable of ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']) {
    it(`stores and reads large bodies in S3 addressed by path with only ${variable} set`, async () => {
      useEnvironment({ [variable]: fauxqsByName() });
      const claimCheck = new ClaimCheck({ bucket: 'nimbus-bodies', region: 'us-east-1' });
      try {
        const body = new Uint8Array(randomBytes(300 * 1024));
        const key = claimCheck.keyFor('orders', `m-${variable}`);
        await claimCheck.put(key, body);
        expect(Buffer.from(await claimCheck.get(key)).equals(Buffer.from(body))).toBe(true);
      } finally {
        claimCheck.close();
      }
    });
  }

  it('takes the S3 endpoint as the SDK does: the service variable first, none when told to ignore them', () => {
    expect(s3EndpointFromEnvironment({ AWS_ENDPOINT_URL: 'http://a:1', AWS_ENDPOINT_URL_S3: 'http://b:2' })).toBe(
      'http://b:2',
    );
    expect(s3EndpointFromEnvironment({ AWS_ENDPOINT_URL: 'http://a:1' })).toBe('http://a:1');
    expect(
      s3EndpointFromEnvironment({ AWS_ENDPOINT_URL: 'http://a:1', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }),
    ).toBeUndefined();
    expect(s3EndpointFromEnvironment({ AWS_ENDPOINT_URL_DYNAMODB: 'http://a:1' })).toBeUndefined();
  });

  for (const variable of ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL']) {
    it(`opens the store on DynamoDB Local with only ${variable} set`, async () => {
      useEnvironment({ [variable]: dynamo.endpoint });
      const tablePrefix = `env${randomBytes(4).toString('hex')}`;
      const store = await openDynamoDbStore({ tablePrefix, createTables: true });
      try {
        const broker = createBroker({
          timers: systemTimers,
          store,
          clock: systemClock,
          ids: randomIds(),
          notifier: new InProcessNotifier(),
        });
        await broker.catalog.putTopic('orders', { queueCount: 2, retentionHours: 1 });
        expect((await store.listTopics()).map((topic) => topic.name)).toEqual(['orders']);
      } finally {
        await store.close();
      }
    });
  }

  it('invokes push targets at AWS_ENDPOINT_URL_LAMBDA', async () => {
    const lambda = await startRecorder(() => ({ status: 200, body: '{"batchItemFailures":[]}' }));
    try {
      useEnvironment({ AWS_ENDPOINT_URL_LAMBDA: lambda.url });
      const outcome = await awsLambdaInvoker().invoke('billing', '{"messages":[]}');
      expect(outcome).toEqual({ payload: '{"batchItemFailures":[]}' });
      expect(lambda.requests).toEqual([
        expect.objectContaining({ method: 'POST', url: '/2015-03-31/functions/billing/invocations' }),
      ]);
    } finally {
      await lambda.close();
    }
  });

  it('sends SQS and EventBridge Scheduler requests to AWS_ENDPOINT_URL as the SDK clients are built', async () => {
    const scheduler = await startRecorder(() => ({ status: 200, body: '{"Schedules":[]}' }));
    try {
      useEnvironment({ AWS_ENDPOINT_URL: fauxqs.address, AWS_ENDPOINT_URL_SCHEDULER: scheduler.url });
      const sqs = new SQSClient({});
      const created = await sqs.send(new CreateQueueCommand({ QueueName: 'delay-leg' }));
      // fauxqs names queues by a sqs.<region>.localhost host, which does not resolve here; the path is what counts.
      const QueueUrl = new URL(new URL(created.QueueUrl ?? '').pathname, fauxqs.address).href;
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'due' }));
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
      expect(received.Messages?.map((m) => m.Body)).toEqual(['due']);
      sqs.destroy();
      const schedules = new SchedulerClient({});
      expect((await schedules.send(new ListSchedulesCommand({}))).Schedules).toEqual([]);
      schedules.destroy();
      expect(scheduler.requests).toEqual([expect.objectContaining({ method: 'GET', url: '/schedules' })]);
    } finally {
      await scheduler.close();
    }
  });
});
