import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

/** The outcome of one synchronous function invocation, as Lambda reports it. */
export interface InvokeOutcome {
  /** Set when the function threw or timed out (`Unhandled`) or the payload was refused. */
  functionError?: string;
  /** The function's JSON result, or Lambda's error object when `functionError` is set. */
  payload: string;
}

/**
 * The port the push driver invokes subscribed functions through. Production uses
 * {@link awsLambdaInvoker}; embedded mode and tests invoke in-process functions.
 */
export interface FunctionInvoker {
  invoke(functionName: string, payload: string): Promise<InvokeOutcome>;
}

/**
 * Invokes Lambda functions synchronously (`RequestResponse`) with the AWS SDK.
 * @example
 * const invoker = awsLambdaInvoker(new LambdaClient({}));
 * const { payload } = await invoker.invoke('my-subscriber', JSON.stringify(event));
 */
export function awsLambdaInvoker(client: LambdaClient = new LambdaClient({})): FunctionInvoker {
  const decoder = new TextDecoder();
  return {
    async invoke(functionName, payload) {
      const result = await client.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(payload),
        }),
      );
      const text = result.Payload ? decoder.decode(result.Payload) : '';
      return result.FunctionError ? { functionError: result.FunctionError, payload: text } : { payload: text };
    },
  };
}
