import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { DynamoDbStoreHooks } from './options.ts';

/**
 * A DynamoDB client for the store. With an endpoint (DynamoDB Local) and no credentials in
 * the environment it uses dummy ones. SDK retries are off: the store retries throttling
 * itself (errors.ts), so there are no retries stacked on retries.
 */
export function createDynamoClient(options: { endpoint?: string; region: string }): DynamoDBClient {
  const dummyCredentials = options.endpoint !== undefined && !process.env['AWS_ACCESS_KEY_ID'];
  return new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: dummyCredentials ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined,
    maxAttempts: 1,
  });
}

/** Fails the requests the hook picks with the error DynamoDB returns when a partition is over its throughput. */
export function installThrottleHook(
  client: DynamoDBClient,
  throttle: NonNullable<DynamoDbStoreHooks['throttle']>,
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (throttle(context.commandName ?? 'unknown')) {
        throw new ProvisionedThroughputExceededException({
          message: 'Injected throttling (test hook).',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'nimbusInjectedThrottle' },
  );
}
