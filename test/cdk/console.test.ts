import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_ROUTES, HEALTH_ROUTE } from '../../lib/api-routes.ts';
import { CONSOLE_FUNCTION } from '../../lib/console-function.ts';
import { CONSOLE_THROTTLE } from '../../lib/http-api.ts';
import { NimbusFunction } from '../../lib/nimbus-function.ts';
import { consoleFunction } from '../../src/lambda/console-handler.ts';
import { type Json, type SynthesizedStack, synthesizeWithNag } from './synth.ts';

type Resource = { Type: string; Properties?: Json };
type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** An HTTP API (payload 2.0) event for a GET as API Gateway hands it to the function. */
const getEvent = (rawPath: string, method = 'GET') =>
  ({
    version: '2.0',
    routeKey: rawPath === '/console' ? 'GET /console' : 'GET /console/{proxy+}',
    rawPath,
    rawQueryString: '',
    headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com' },
    requestContext: { http: { method, path: rawPath }, requestId: 'req-1' },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

describe('the console on the HTTP API', () => {
  let synth: SynthesizedStack;
  let resources: Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  beforeAll(() => {
    // Without bundling: the console function's asset is checked below. Throws on any cdk-nag finding not acknowledged.
    synth = synthesizeWithNag({ bundle: false });
    resources = synth.template.Resources;
  });

  it('opens only GET /console and GET /console/{proxy+}, to the console function; every /v1 route keeps IAM', () => {
    const stack = Stack.of(synth.stack);
    const consoleId = stack.resolve(
      stack.getLogicalId(synth.stack.mq.functions.console!.function.node.defaultChild as CfnResource),
    );
    const integrationTarget = Object.fromEntries(
      ofType('AWS::ApiGatewayV2::Integration').map(([id, i]) => [id, i.Properties.IntegrationUri['Fn::GetAtt'][0]]),
    );
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, route]) => ({
      key: route.Properties.RouteKey as string,
      auth: route.Properties.AuthorizationType as string,
      target: integrationTarget[route.Properties.Target['Fn::Join'][1][1].Ref],
    }));
    const open = routes.filter((route) => route.auth === 'NONE').map((route) => route.key);
    expect(open.sort()).toEqual(
      [`${HEALTH_ROUTE.method} ${HEALTH_ROUTE.path}`, ...CONSOLE_ROUTES.map((r) => `${r.method} ${r.path}`)].sort(),
    );
    for (const route of routes.filter((r) => r.key.startsWith('GET /console'))) expect(route.target).toBe(consoleId);
    const api = routes.filter((route) => / \/v1\//.test(route.key) || route.key === '$default');
    expect(api.length).toBeGreaterThan(20);
    for (const route of api) expect(route.auth, route.key).toBe('AWS_IAM');
    // Nothing else reaches the console function.
    expect(routes.filter((r) => r.target === consoleId).map((r) => r.key)).toHaveLength(CONSOLE_ROUTES.length);
  });

  it('throttles the open console routes on their own, below the stage default', () => {
    const [[, stage]] = ofType('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
    for (const route of CONSOLE_ROUTES) {
      expect(stage.Properties.RouteSettings[`${route.method} ${route.path}`]).toEqual({
        ThrottlingRateLimit: CONSOLE_THROTTLE.rateLimit,
        ThrottlingBurstLimit: CONSOLE_THROTTLE.burstLimit,
      });
    }
    expect(CONSOLE_THROTTLE.rateLimit).toBeLessThan(stage.Properties.DefaultRouteSettings.ThrottlingRateLimit);
  });

  it('gives the console function no data access and no API access: its role only writes its logs', () => {
    const stack = Stack.of(synth.stack);
    const roleId = stack.resolve(
      stack.getLogicalId(synth.stack.mq.functions.console!.role.node.defaultChild as CfnResource),
    );
    const actions = ofType('AWS::IAM::Policy')
      .filter(([, policy]) => policy.Properties.Roles.some((role: Json) => role.Ref === roleId))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Json[])
      .flatMap((statement) => [statement.Action].flat() as string[]);
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action).toMatch(/^logs:/);
  });
});

describe('the console function as synthesis bundles it', () => {
  let assetDir: string;
  let handler: Handler;

  beforeAll(async () => {
    // Only this function, bundled the way the stack bundles it (esbuild, then the console build).
    const app = new App();
    const stack = new Stack(app, 'ConsoleOnly');
    new NimbusFunction(stack, 'Console', {
      name: 'console',
      environment: {},
      metricsNamespace: 'NimbusMQ/test',
      ...CONSOLE_FUNCTION,
    });
    const assembly = app.synth();
    const manifest = JSON.parse(readFileSync(path.join(assembly.directory, 'ConsoleOnly.assets.json'), 'utf8'));
    const dirs = Object.values(manifest.files as Record<string, { source: { path: string } }>)
      .map((file) => path.join(assembly.directory, file.source.path))
      .filter((dir) => existsSync(path.join(dir, 'index.mjs')));
    expect(dirs).toHaveLength(1);
    assetDir = dirs[0]!;
    handler = (await import(pathToFileURL(path.join(assetDir, 'index.mjs')).href)).handler;
  }, 120_000);

  it('carries the built console beside the handler bundle, and no sources', () => {
    for (const name of ['index.html', 'app.js', 'app.css'])
      expect(existsSync(path.join(assetDir, 'console', name))).toBe(true);
    expect(existsSync(path.join(assetDir, 'console', 'main.ts'))).toBe(false);
    // The handler reads prebuilt files only: no bundler rides along into the function.
    expect(readFileSync(path.join(assetDir, 'index.mjs'), 'utf8')).not.toContain('esbuild');
  });

  it('serves the page, script and stylesheet with their content types and a CSP that allows no other origin', async () => {
    const page = await handler(getEvent('/console/'));
    expect(page.statusCode).toBe(200);
    expect(page.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers?.['content-security-policy']).toContain("connect-src 'self'");
    expect(page.headers?.['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers?.['x-content-type-options']).toBe('nosniff');
    expect(page.isBase64Encoded).toBe(false);
    expect(page.body).toContain('<script type="module" src="app.js">');
    const script = await handler(getEvent('/console/app.js'));
    expect(script.headers?.['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain('/v1/topics');
    // The browser signer is inside: the page signs its API calls with the visitor's keys.
    expect(script.body).toContain('AWS4-HMAC-SHA256');
    const style = await handler(getEvent('/console/app.css'));
    expect(style.headers?.['content-type']).toBe('text/css; charset=utf-8');
    expect(style.body).toContain('.timeline');
  });

  it('redirects /console to /console/ and answers 404 for anything it does not have', async () => {
    const redirect = await handler(getEvent('/console'));
    expect(redirect).toMatchObject({ statusCode: 308, headers: { location: '/console/' } });
    expect((await handler(getEvent('/console/..%2Findex.mjs'))).statusCode).toBe(404);
    expect((await handler(getEvent('/console/secret.txt'))).statusCode).toBe(404);
  });
});

describe('the console function without its files', () => {
  it('answers 500 with the cause instead of an empty page, and tries again on the next request', async () => {
    const missing = consoleFunction(path.join(import.meta.dirname, 'no-such-console'));
    for (let i = 0; i < 2; i++) {
      const reply = await missing(getEvent('/console/'));
      expect(reply.statusCode).toBe(500);
      expect(reply.body).toContain('no built console in');
    }
  });
});
