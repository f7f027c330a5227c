import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

/**
 * Starts a run of the push driver without waiting for it: the push-stream function nudges
 * drivers this way. Production invokes the push-deliver function asynchronously; tests and
 * embedded installs start an in-process handler.
 */
export interface PushDriverStarter {
  start(payload: string): Promise<void>;
}

/**
 * Invokes the push-deliver function asynchronously (`Event`): Lambda queues the event and
 * answers at once, so one stream batch nudges any number of subscriptions in milliseconds.
 * @example
 * const starter = awsDriverStarter('nimbus-push-deliver');
 * await starter.start(JSON.stringify({ subscription, nudged: true }));
 */
export function awsDriverStarter(functionName: string, client: LambdaClient = new LambdaClient({})): PushDriverStarter {
  return {
    async start(payload) {
      await client.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(payload),
        }),
      );
    },
  };
}
