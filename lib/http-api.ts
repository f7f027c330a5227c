import type { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
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
import { HTTP_ROUTES, type HttpFunctionName } from './api-routes.ts';

export interface NimbusHttpApiProps {
  functions: Record<HttpFunctionName, IFunction>;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  /** Steady-state requests per second for the whole API (API Gateway stage throttling). */
  rateLimit?: number;
  burstLimit?: number;
}

/**
 * The HTTPS API: an API Gateway HTTP API whose every route requires IAM (SigV4) auth and
 * goes to the function serving its area. Anything else reaches the admin function, so
 * unknown routes get the API's own 404/405 error bodies instead of API Gateway's.
 */
export class NimbusHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly url: string;

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
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            caller: '$context.identity.userArn',
            ip: '$context.identity.sourceIp',
            route: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            responseBytes: '$context.responseLength',
          }),
        ),
      },
    });
    const integrations: Record<HttpFunctionName, HttpLambdaIntegration> = {
      send: new HttpLambdaIntegration('sendIntegration', props.functions.send),
      'consume-pull': new HttpLambdaIntegration('consumePullIntegration', props.functions['consume-pull']),
      admin: new HttpLambdaIntegration('adminIntegration', props.functions.admin),
    };
    for (const [name, routes] of Object.entries(HTTP_ROUTES) as [
      HttpFunctionName,
      (typeof HTTP_ROUTES)[HttpFunctionName],
    ][]) {
      const integration = integrations[name];
      for (const route of routes) {
        new HttpRoute(this, `${route.method} ${route.path}`, {
          httpApi: this.api,
          routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
          integration,
          authorizer,
        });
      }
    }
    new HttpRoute(this, 'Default', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: integrations.admin,
      authorizer,
    });
    this.url = this.api.apiEndpoint;
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
