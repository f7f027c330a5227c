import { fileURLToPath } from 'node:url';
import { consoleFunction } from '../src/lambda/console-handler.ts';

/** The web console's static files on the open `/console` routes, from `console/` beside this bundle. */
export const handler = consoleFunction(fileURLToPath(new URL('console/', import.meta.url)));
