import { createMessagesHandler } from '../src/api/handlers/messages.ts';
import { httpFunction } from '../src/lambda/http-function.ts';

/** POST /v1/topics/{topic}/messages, served by the API's messages handler. */
export const handler = httpFunction(createMessagesHandler);
