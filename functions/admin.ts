import { createAdminHandler } from '../src/api/handlers/admin.ts';
import { httpFunction } from '../src/lambda/http-function.ts';

/** Topics, groups, dead letters, /openapi.json and /healthz, served by the API's admin handler. */
export const handler = httpFunction(createAdminHandler);
