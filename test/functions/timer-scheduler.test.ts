import { Readable } from 'node:stream';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { describe, expect, it, vi } from 'vitest';
import {
  AwsReleaseScheduler,
  BucketSchedules,
  bucketScheduleName,
  delaySeconds,
  FIRE_EARLY_MS,
  MINUTE_MS,
  SqsWakeUps,
} from '../../src/adapters/scheduler/index.ts';
import { reportingFailures } from '../../src/lambda/delayed-delivery-env.ts';
import { logger, metrics } from '../../src/lambda/observability.ts';

/** A Scheduler request as it leaves the SDK: method, path and the JSON body. */
interface SentRequest {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

type Answer = { status: number; errorType?: string; body?: unknown };

/**
 * A SchedulerClient whose HTTP layer is replaced: requests are captured after the SDK
 * serialized and signed them, and answered with the status and error type given, so the
 * SDK's own deserializers turn them into results or its exception classes.
 */
function schedulerAt(answer: (request: SentRequest) => Answer) {
  const sent: SentRequest[] = [];
  const client = new SchedulerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
    requestHandler: {
      async handle(request: { method: string; path: string; body?: unknown }) {
        const captured = {
          method: request.method,
          path: request.path,
          body: JSON.parse(bodyText(request.body)) as Record<string, unknown>,
        };
        sent.push(captured);
        const reply = answer(captured);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (reply.errorType) headers['x-amzn-errortype'] = reply.errorType;
        return {
          response: {
            statusCode: reply.status,
            reason: '',
            headers,
            body: Readable.from([Buffer.from(JSON.stringify(reply.body ?? {}))]),
          },
        };
      },
    } as never,
  });
  return { client, sent };
}

function bodyText(body: unknown): string {
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return typeof body === 'string' ? body : '{}';
}

const target = {
  groupName: 'nimbus-delays',
  namePrefix: 'prod-queue',
  functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:timer-release',
  roleArn: 'arn:aws:iam::123456789012:role/scheduler-release',
  deadLetterArn: 'arn:aws:sqs:us-east-1:123456789012:scheduler-dlq',
};

const created = (name: string) => ({ status: 200, body: { ScheduleArn: `arn:aws:scheduler:::schedule/x/${name}` } });

describe('bucket schedules at the EventBridge Scheduler API boundary', () => {
  it('creates one at() schedule per minute bucket, two minutes early, deleting itself after it fires', async () => {
    const { client, sent } = schedulerAt((request) => created(request.path));
    const minute = Math.floor(Date.UTC(2030, 0, 1, 12, 30) / MINUTE_MS);
    await new BucketSchedules(client, target).ensure([minute, minute, minute + 1]);
    expect(sent.map((request) => [request.method, request.path]).sort()).toEqual([
      ['POST', `/schedules/prod-queue-release-${minute}`],
      ['POST', `/schedules/prod-queue-release-${minute + 1}`],
    ]);
    const first = sent.find((request) => request.path.endsWith(String(minute)));
    expect(first?.body).toEqual({
      GroupName: 'nimbus-delays',
      ScheduleExpression: 'at(2030-01-01T12:28:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      ClientToken: expect.any(String),
      Target: {
        Arn: target.functionArn,
        RoleArn: target.roleArn,
        Input: JSON.stringify({ nimbus: 'release-bucket', minute }),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 300 },
        DeadLetterConfig: { Arn: target.deadLetterArn },
      },
    });
    expect(FIRE_EARLY_MS).toBe(2 * MINUTE_MS);
    client.destroy();
  });

  it('counts ConflictException (the bucket is scheduled already) as success, and asks once per bucket', async () => {
    const { client, sent } = schedulerAt(() => ({
      status: 409,
      errorType: 'ConflictException',
      body: { Message: 'Schedule prod-queue-release-1 already exists.' },
    }));
    const buckets = new BucketSchedules(client, target);
    await buckets.ensure([100, 101]);
    await buckets.ensure([100, 101]);
    expect(sent).toHaveLength(2);
    client.destroy();
  });

  it('surfaces other errors (throttling, access denied), and retries the bucket next time', async () => {
    let denied = true;
    const { client, sent } = schedulerAt((request) =>
      denied
        ? {
            status: 403,
            errorType: 'AccessDeniedException',
            body: { Message: 'not authorized to perform iam:PassRole' },
          }
        : created(request.path),
    );
    const buckets = new BucketSchedules(client, target);
    await expect(buckets.ensure([200])).rejects.toMatchObject({ name: 'AccessDeniedException' });
    denied = false;
    await buckets.ensure([200]);
    expect(sent.map((request) => request.path)).toEqual([
      '/schedules/prod-queue-release-200',
      '/schedules/prod-queue-release-200',
    ]);
    client.destroy();
  });

  it('names stay within 64 characters and apart per deployment', () => {
    const long = bucketScheduleName('x'.repeat(100), 29_000_000);
    expect(long.length).toBeLessThanOrEqual(64);
    expect(bucketScheduleName('a', 5)).not.toBe(bucketScheduleName('b', 5));
  });
});

describe('AwsReleaseScheduler: SQS for the last 15 minutes, bucket schedules before that', () => {
  it('sends messages due within 15 minutes to SQS (fauxqs), delayed to the second, and schedules the buckets of later ones', async () => {
    const fauxqs = await startFauxqs({ port: 0, logger: false });
    fauxqs.createQueue('wake-ups');
    const sqs = new SQSClient({
      endpoint: fauxqs.address,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const now = Date.now();
    const { client, sent } = schedulerAt((request) => created(request.path));
    const wakeUps = new SqsWakeUps(sqs, `${fauxqs.address}/000000000000/wake-ups`);
    const scheduler = new AwsReleaseScheduler(wakeUps, new BucketSchedules(client, target), () => now);
    const soon = { topic: 't', msgId: 'A', dueAt: now + 899_500 };
    const later = { topic: 't', msgId: 'B', dueAt: now + 900_001 };
    const muchLater = { topic: 't', msgId: 'C', dueAt: now + 40 * 86_400_000 };
    await scheduler.schedule([soon, later, muchLater]);
    const delayed = fauxqs.inspectQueue('wake-ups')?.messages.delayed ?? [];
    expect(delayed.map((message) => JSON.parse(message.body))).toEqual([soon]);
    // 899.5 s rounds up to 900 s: SQS's longest delay, and never early.
    expect((delayed[0]?.delayUntil ?? 0) - (delayed[0]?.sentTimestamp ?? 0)).toBe(900_000);
    expect(sent.map((request) => request.path).sort()).toEqual(
      [later, muchLater].map((entry) => `/schedules/prod-queue-release-${Math.floor(entry.dueAt / MINUTE_MS)}`).sort(),
    );
    client.destroy();
    sqs.destroy();
    await fauxqs.stop();
  });

  it('a wake-up that cannot be arranged is logged (no body) and counted, and the failure still reaches the broker', async () => {
    const fauxqs = await startFauxqs({ port: 0, logger: false });
    const sqs = new SQSClient({
      endpoint: fauxqs.address,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const now = Date.now();
    // No such queue: SQS refuses the wake-up.
    const wakeUps = new SqsWakeUps(sqs, `${fauxqs.address}/000000000000/missing`);
    const scheduler = reportingFailures(new AwsReleaseScheduler(wakeUps, undefined, () => now));
    const warned = vi.spyOn(logger, 'warn');
    const counted = vi.spyOn(metrics, 'addMetric');
    try {
      await expect(scheduler.schedule([{ topic: 'orders', msgId: 'A', dueAt: now + 5_000 }])).rejects.toThrow();
      expect(warned).toHaveBeenCalledWith(expect.stringContaining('wake-up not arranged'), {
        messages: 1,
        topics: ['orders'],
        error: expect.any(String),
      });
      expect(counted).toHaveBeenCalledWith('WakeUpFailures', 'Count', 1);
    } finally {
      warned.mockRestore();
      counted.mockRestore();
      metrics.clearMetrics();
    }
    sqs.destroy();
    await fauxqs.stop();
  });

  it('rounds SQS delays up and keeps them within 0-900 s', () => {
    expect(delaySeconds(1_000, 0)).toBe(1);
    expect(delaySeconds(1_001, 0)).toBe(2);
    expect(delaySeconds(0, 5_000)).toBe(0);
    expect(delaySeconds(2_000_000, 0)).toBe(900);
  });
});
