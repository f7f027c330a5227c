import { createTransactionDecisionHandler } from '../src/api/handlers/transactions.ts';
import { httpFunction } from '../src/lambda/http-function.ts';

/** POST /v1/transactions/{transactionId}/commit and /rollback, served by the API's transactions handler. */
export const handler = httpFunction(createTransactionDecisionHandler);
