import { createPushStreamHandler, pushStreamSettings } from '../src/lambda/push-stream-handler.ts';
import { awsDriverStarter } from '../src/push/driver-starter.ts';

const settings = pushStreamSettings();

/** Nudges the push driver of each subscription whose topics got new messages (messages table stream). */
export const handler = createPushStreamHandler(awsDriverStarter(settings.driverFunction), settings.subscriptions);
