import { parseArgs } from 'node:util';
import { apiGatewayClient, loadHttpHandlers, startLambdaEnvironment } from '../test/functions/lambda-harness.ts';
import { MessagesStream } from '../test/functions/messages-stream.ts';
import { type BurstOutcome, pushBursts, STREAM_SOURCE } from '../test/functions/push-stream-harness.ts';
import { printTable } from './report.ts';
import { percentiles, round } from './stats.ts';

/**
 * `node bench/push-stream.ts [--quick]`: push delivery started by the messages stream on
 * DynamoDB Local. The stream is read through the DynamoDB Streams API and batched like the
 * stack's event source mapping (1 s window, polled 4 times a second); the push-stream and
 * push-deliver handlers run in this process. Reports send-to-invocation latency and how
 * many stream invocations and driver starts the messages cost.
 */
const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = values.quick === true;

const env = await startLambdaEnvironment();
try {
  const client = apiGatewayClient(await loadHttpHandlers());
  const stream = new MessagesStream(process.env['AWS_ENDPOINT_URL_DYNAMODB'] as string, `${env.tablePrefix}-messages`);
  await stream.open();
  const common = { client, stream, maxConcurrency: 4, timeoutMs: 120_000 };
  // Warm-up (JIT, DynamoDB Local), not reported.
  await pushBursts({ ...common, topic: 'warmup', group: 'warmup', bursts: 3, perBurst: 10, pauseMs: 1_500 });
  const idle = await pushBursts({
    ...common,
    topic: 'idle',
    group: 'idle-subscriber',
    bursts: quick ? 10 : 40,
    perBurst: 1,
    pauseMs: 2_500,
  });
  const bursts = await pushBursts({
    ...common,
    topic: 'bursts',
    group: 'burst-subscriber',
    bursts: 10,
    perBurst: 100,
    pauseMs: 1_000,
  });
  const row = (scenario: string, outcome: BurstOutcome) => {
    const { p50, p99, max } = percentiles(outcome.latenciesMs);
    return {
      scenario,
      messages: outcome.sent,
      delivered: outcome.log.firstSeenAt.size,
      'p50 ms': round(p50, 0),
      'p99 ms': round(p99, 0),
      'max ms': round(max, 0),
      'stream invocations per 1,000': round((outcome.streamInvocations * 1_000) / outcome.sent, 1),
      'driver starts per 1,000': round((outcome.driverStarts * 1_000) / outcome.sent, 1),
      'function invocations': outcome.log.invocations,
    };
  };
  printTable(
    `Push from the messages stream (DynamoDB Local, window ${STREAM_SOURCE.batchWindowMs} ms, maxConcurrency 4, batchSize 10)`,
    [row('one message to an idle group, 2.5 s apart', idle), row('10 bursts of 100 messages, 1 s apart', bursts)],
    [
      'scenario',
      'messages',
      'delivered',
      'p50 ms',
      'p99 ms',
      'max ms',
      'stream invocations per 1,000',
      'driver starts per 1,000',
      'function invocations',
    ],
  );
} finally {
  await env.stop();
}
