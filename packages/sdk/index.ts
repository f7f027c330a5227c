/**
 * The `@nimbus-mq/sdk` entry: the SDK of src/sdk as it grows, plus the event types a Lambda
 * function subscribed with the CDK construct's `subscribeLambda` receives and answers.
 * @example
 * import { Client, Producer, type NimbusPushEvent } from '@nimbus-mq/sdk';
 * const client = new Client({ endpoint: 'http://127.0.0.1:9800' });
 * await new Producer(client).send('orders', 'hello');
 */

export type { NimbusPushEvent, NimbusPushMessage, NimbusPushResponse } from '../../src/push/push-event.ts';
export * from '../../src/sdk/index.ts';
