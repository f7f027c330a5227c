/**
 * The Nimbus MQ CDK construct library: embed the whole queue in another CDK app.
 * @example
 * import { NimbusMq } from '@nimbus-mq/cdk';
 * const mq = new NimbusMq(stack, 'Queue', { removalPolicy: RemovalPolicy.DESTROY });
 * mq.grantApiAccess(myServiceRole);
 */
export { LambdaSubscription, type LambdaSubscriptionOptions } from '../../lib/lambda-subscription.ts';
export {
  DEFAULT_RESERVED_CONCURRENCY,
  NimbusMq,
  type NimbusMqProps,
  type ReservedConcurrency,
} from '../../lib/nimbus-mq.ts';
export { NimbusStack, type NimbusStackProps } from '../../lib/nimbus-stack.ts';
