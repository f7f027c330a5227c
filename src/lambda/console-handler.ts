import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type ConsoleAssets, readConsoleFiles } from '../console/server/console-files.ts';
import { consoleReply } from '../console/server/console-response.ts';

/**
 * A Lambda handler for the HTTP API's open `GET /console` and `GET /console/{proxy+}`
 * routes: it serves the console built ahead of time into `dir` (the CDK bundling and the
 * package build put it beside the handler's bundle). It reads no data and holds no
 * credentials: the page signs its own API calls with the visitor's IAM credentials.
 * @example
 * export const handler = consoleFunction(new URL('console/', import.meta.url).pathname);
 */
export function consoleFunction(dir: string) {
  let assets: Promise<ConsoleAssets> | undefined;
  const load = () => {
    assets ??= readConsoleFiles(dir).then((files) => {
      if (files) return files;
      assets = undefined;
      throw new Error(`no built console in ${dir}`);
    });
    return assets;
  };
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const reply = await consoleReply(event.requestContext.http.method.toUpperCase(), event.rawPath, load);
    const body = reply.body === undefined ? '' : Buffer.from(reply.body).toString('utf8');
    // Every console file is UTF-8 text, so it goes out as text rather than base64.
    return { statusCode: reply.status, headers: reply.headers, body, isBase64Encoded: false };
  };
}
