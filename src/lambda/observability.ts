import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ApiLogger } from '../api/http.ts';
import { finishInvocation } from './invocation-end.ts';
import { SEALED_OFFSETS_METRIC, sealedOffsets } from './sealed-offsets.ts';

/**
 * One logger and one metrics buffer per container. Service name, namespace and level come
 * from the POWERTOOLS_* variables the stack sets on every function; the namespace is the
 * deployment's own (lib/monitoring.ts), where its alarms look.
 */
export const logger = new Logger();
export const metrics = new Metrics();

/** The API's failure log, routed to the structured logger. */
export const apiLogger: ApiLogger = {
  error: (message, details) => logger.error(message, { details }),
};

/** Stops a long-poll this long before the function would time out, so a response still goes out. */
const STOP_BEFORE_TIMEOUT_MS = 3_000;

/**
 * Publishes the offsets sealed during the invocation as its own metric line, with only the
 * service dimension (the alarm's), whatever dimensions the handler adds to the shared buffer.
 */
export function publishSealedOffsets(): void {
  const { offsets, ranges } = sealedOffsets.drain();
  if (offsets === 0) return;
  metrics.singleMetric().addMetric(SEALED_OFFSETS_METRIC, MetricUnit.Count, offsets);
  logger.warn('sealed queue offsets that a writer reserved and never wrote', { offsets, ranges });
}

/**
 * Wraps a handler with the middleware every function shares: the Lambda context in each
 * log line, the cold-start metric, a flush of buffered metrics after each invocation and
 * the sealed-offsets metric. The handler gets a signal that aborts shortly before the
 * function's timeout.
 * @example
 * export const handler = lambdaHandler(async (event: ScheduledEvent) => sweep());
 */
export function lambdaHandler<TEvent, TResult>(
  handle: (event: TEvent, context: Context, signal: AbortSignal) => Promise<TResult>,
): MiddyfiedHandler<TEvent, TResult> {
  return middy<TEvent, TResult>(async (event: TEvent, context: Context) => {
    const signal = AbortSignal.timeout(Math.max(0, context.getRemainingTimeInMillis() - STOP_BEFORE_TIMEOUT_MS));
    try {
      return await handle(event, context, signal);
    } finally {
      publishSealedOffsets();
      // Trace writes run in the background; a frozen sandbox would hold them until its next request.
      await finishInvocation();
    }
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}
