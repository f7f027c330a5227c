import { sharedBroker } from '../src/lambda/broker-from-env.ts';
import { lambdaHandler } from '../src/lambda/observability.ts';
import { checkBackSettings, checkWakeUps } from '../src/lambda/transaction-check-back-env.ts';
import { type CheckBackResult, handleCheckBackEvent } from '../src/lambda/transaction-check-back-handler.ts';

/** Checks back undecided transactions: SQS wake-ups (batch, partial failures) and the minute sweep. */
export const handler = lambdaHandler<unknown, CheckBackResult>(async (event) => {
  const { queueUrl, callsCheckers } = checkBackSettings();
  if (!queueUrl || !callsCheckers) {
    throw new Error('NIMBUS_CHECK_QUEUE_URL and NIMBUS_CALLS_CHECKERS must be set (the stack sets both).');
  }
  const broker = await sharedBroker();
  return handleCheckBackEvent(event, { broker, wakeUps: checkWakeUps(queueUrl) });
});
