import { createPushDeliverHandler } from '../src/lambda/push-deliver-handler.ts';
import { awsLambdaInvoker } from '../src/push/function-invoker.ts';

/** One run of one push subscription (started by its schedule), invoking the subscribed function. */
export const handler = createPushDeliverHandler(awsLambdaInvoker());
