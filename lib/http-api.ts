import type { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONSOLE_ROUTES, HEALTH_ROUTE, HTTP_ROUTES, type HttpFunctionName } from './api-routes.ts';
import { acknowledgeConsoleRoute, acknowledgeHealthRoute } from './nag-acknowledgements.ts';

/**
 * Throttling of the unauthenticated health check: enough for uptime probes from several
 * regions, small enough that anonymous callers cannot spend the API's budget or run up
 * more than a few dollars of invocations a month.
 */
export const HEALTH_THROTTLE = { rateLimit: 5, burstLimit: 10 } as const;

/**
 * Throttling of each open console route: a page load is three requests, so this carries
 * a handful of people opening the console at once while capping what anonymous callers
 * can spend on the console function.
 */
export const CONSOLE_THROTTLE = { rateLimit: 10, burstLimit: 30 } as const;

export interface NimbusHttpApiProps {
  functions: Record<HttpFunctionName, IFunction>;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  /** Steady-state requests per second for the whole API (API Gateway stage throttling). */
  rateLimit?: number;
  burstLimit?: number;
}

/**
 * The HTTPS API: an API Gateway HTTP API whose every route but `GET /healthz` requires IAM
 * (SigV4) auth and goes to the function serving its area. Anything else reaches the admin
 * function, so unknown routes get the API's own 404/405 error bodies instead of API
 * Gateway's. The health check is open to uptime probes and throttled on its own.
 */
export class NimbusHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly url: string;
  /** One JSON line per request (ACCESS_LOG_FORMAT). */
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: NimbusHttpApiProps) {
    super(scope, id);
    const authorizer = new HttpIamAuthorizer();
    this.api = new HttpApi(this, 'Api', {
      description: 'Nimbus MQ HTTP API',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 1_000, burstLimit: props.burstLimit ?? 2_000 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(ACCESS_LOG_FORMAT),
      },
    });
    const integrations: Record<HttpFunctionName, HttpLambdaIntegration> = {
      send: new HttpLambdaIntegration('sendIntegration', props.functions.send),
      'consume-pull': new HttpLambdaIntegration('consumePullIntegration', props.functions['consume-pull']),
      admin: new HttpLambdaIntegration('adminIntegration', props.functions.admin),
      'transaction-commit': new HttpLambdaIntegration(
        'transactionCommitIntegration',
        props.functions['transaction-commit'],
      ),
    };
    for (const [name, routes] of Object.entries(HTTP_ROUTES) as [
      HttpFunctionName,
      (typeof HTTP_ROUTES)[HttpFunctionName],
    ][]) {
      const integration = integrations[name];
      for (const route of routes) {
        const open = route.method === HEALTH_ROUTE.method && route.path === HEALTH_ROUTE.path;
        const httpRoute = new HttpRoute(this, `${route.method} ${route.path}`, {
          httpApi: this.api,
          routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
          integration,
          authorizer: open ? new HttpNoneAuthorizer() : authorizer,
        });
        if (open) acknowledgeHealthRoute(httpRoute);
      }
    }
    new HttpRoute(this, 'Default', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: integrations.admin,
      authorizer,
    });
    this.accessLogs = accessLogs;
    this.throttleHealthRoute();
    this.url = this.api.apiEndpoint;
  }

  /** Route-level throttling of the open route (HttpStage only sets the default route settings). */
  private throttleHealthRoute(): void {
    this.throttleRoute(`${HEALTH_ROUTE.method} ${HEALTH_ROUTE.path}`, HEALTH_THROTTLE);
  }

  private throttleRoute(routeKey: string, throttle: { rateLimit: number; burstLimit: number }): void {
    const stage = this.stage.node.defaultChild as CfnStage;
    stage.addPropertyOverride(`RouteSettings.${routeKey}`, {
      ThrottlingRateLimit: throttle.rateLimit,
      ThrottlingBurstLimit: throttle.burstLimit,
    });
  }

  /**
   * Serves the web console at `/console/` from `fn`, on open GET routes throttled on their
   * own: the page is then same-origin with the API (no CORS), and every API call it makes
   * is signed with the visitor's IAM credentials like any other client's.
   * @example
   * httpApi.serveConsole(consoleFunction);
   */
  serveConsole(fn: IFunction): void {
    const integration = new HttpLambdaIntegration('consoleIntegration', fn);
    for (const route of CONSOLE_ROUTES) {
      const httpRoute = new HttpRoute(this, `${route.method} ${route.path}`, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration,
        authorizer: new HttpNoneAuthorizer(),
      });
      acknowledgeConsoleRoute(httpRoute);
      this.throttleRoute(`${route.method} ${route.path}`, CONSOLE_THROTTLE);
    }
  }

  /**
   * Lets a principal call every route (execute-api:Invoke), e.g. an application's role.
   * @example
   * nimbus.httpApi.grantInvoke(myServiceRole);
   */
  grantInvoke(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.api.arnForExecuteApi()],
    });
  }
}

/**
 * One JSON line per request. `latencyMs` is written as a bare number so a metric filter can
 * take it as the metric value (monitoring.ts: API latency without long-polls).
 */
export const ACCESS_LOG_FORMAT = `{${[
  '"requestId":"$context.requestId"',
  '"time":"$context.requestTime"',
  '"caller":"$context.identity.userArn"',
  '"ip":"$context.identity.sourceIp"',
  '"route":"$context.routeKey"',
  '"status":"$context.status"',
  '"latencyMs":$context.responseLatency',
  '"integrationLatencyMs":"$context.integrationLatency"',
  '"integrationError":"$context.integrationErrorMessage"',
  '"responseBytes":"$context.responseLength"',
].join(',')}}`;
