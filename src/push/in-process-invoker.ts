import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { FunctionInvoker, InvokeOutcome } from './function-invoker.ts';

/** A Lambda-style handler living in this process. */
export type InProcessFunction = (event: unknown, context: Context) => Promise<unknown>;

export interface InProcessFunctionConfig {
  handler: InProcessFunction;
  /** Reported by `context.getRemainingTimeInMillis()`; default 30 s. */
  timeoutMs?: number;
  memoryLimitInMB?: number;
}

/**
 * Invokes functions of this process the way Lambda invokes a function synchronously: the
 * payload goes through JSON both ways, the handler gets a Lambda context, and a thrown
 * error comes back as `functionError: 'Unhandled'` with Lambda's error object. Embedded
 * installs use it for in-process subscribers; tests use it as a local function target.
 * @example
 * const invoker = inProcessInvoker({ billing: { handler: async (event) => ({ batchItemFailures: [] }) } });
 */
export function inProcessInvoker(functions: Readonly<Record<string, InProcessFunctionConfig>>): FunctionInvoker {
  return {
    async invoke(functionName: string, payload: string): Promise<InvokeOutcome> {
      const config = functions[functionName];
      if (!config) throw new Error(`Function not found: ${functionName}`);
      const context = lambdaContext(functionName, config);
      try {
        const result = await config.handler(JSON.parse(payload), context);
        return { payload: result === undefined ? 'null' : JSON.stringify(result) };
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        return {
          functionError: 'Unhandled',
          payload: JSON.stringify({ errorType: failure.name, errorMessage: failure.message }),
        };
      }
    },
  };
}

/**
 * A Lambda context for an invocation in this process: the fields Lambda sets, and a
 * remaining time that counts down from the function's timeout.
 * @example
 * const context = lambdaContext('send', { timeoutMs: 10_000 });
 */
export function lambdaContext(
  functionName: string,
  config: { timeoutMs?: number; memoryLimitInMB?: number } = {},
): Context {
  const timeoutMs = config.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const unsupported = () => {
    throw new Error('Callback-style completion is not supported; return a promise.');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: String(config.memoryLimitInMB ?? 128),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'in-process',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
