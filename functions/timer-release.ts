import { sharedBroker } from '../src/lambda/broker-from-env.ts';
import { delaySettings, dueHeldPages, sqsWakeUps } from '../src/lambda/delayed-delivery-env.ts';
import { lambdaHandler } from '../src/lambda/observability.ts';
import { handleTimerEvent, type TimerReleaseResult } from '../src/lambda/timer-release-handler.ts';

/** Releases delayed messages: SQS wake-ups (batch, partial failures), bucket schedules and the minute sweep. */
export const handler = lambdaHandler<unknown, TimerReleaseResult>(async (event) => {
  const settings = delaySettings();
  if (!settings)
    throw new Error('NIMBUS_RELEASE_QUEUE_URL must be set (the stack sets it on the timer-release function).');
  const broker = await sharedBroker();
  return handleTimerEvent(event, { broker, wakeUps: sqsWakeUps(settings), dueHeld: dueHeldPages(broker.store) });
});
