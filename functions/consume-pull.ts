import { createConsumeHandler } from '../src/api/handlers/consume.ts';
import { httpFunction } from '../src/lambda/http-function.ts';

/** receive (long-poll), ack, nack and change-invisible-duration, served by the API's consume handler. */
export const handler = httpFunction(createConsumeHandler);
