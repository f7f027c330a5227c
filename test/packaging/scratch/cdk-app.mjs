// A CDK app outside the repository that embeds the installed @nimbus-mq/cdk construct, with
// cdk-nag's AwsSolutions pack as a validation plugin: synthesis throws on any finding.

import { NimbusMq } from '@nimbus-mq/cdk';
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'ShopStack');
const mq = new NimbusMq(stack, 'Queue', { removalPolicy: RemovalPolicy.DESTROY });

// The application's own function and role: its log group only, no managed policy.
const logGroup = new LogGroup(stack, 'BillingLogs', { retention: RetentionDays.ONE_WEEK });
const role = new Role(stack, 'BillingRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
logGroup.grantWrite(role);
const billing = new LambdaFunction(stack, 'Billing', {
  runtime: Runtime.NODEJS_24_X,
  handler: 'index.handler',
  code: Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
  role,
  logGroup,
});
mq.subscribeLambda('BillingSubscription', billing, { group: 'billing', batchSize: 10 });

const appRole = new Role(stack, 'ShopServiceRole', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com') });
mq.grantApiAccess(appRole);
// The grant covers every route of the queue's API (execute-api:Invoke on <api>/*/*/*), which
// AwsSolutions-IAM5 flags; an application acknowledges it on its own role, for that one API.
const api = mq.node.findAll().find((child) => child.cfnResourceType === 'AWS::ApiGatewayV2::Api');
const apiId = stack.resolve(stack.getLogicalId(api));
Validations.of(appRole).acknowledge({
  id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/*/*/*]`,
  reason: 'The shop service calls every route of its own queue API, and only that API.',
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
console.log(JSON.stringify({ stack: stack.artifactId, outdir: app.outdir }));
