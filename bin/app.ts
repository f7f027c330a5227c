import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { NimbusStack } from '../lib/nimbus-stack.ts';

/**
 * The CDK app: `npx cdk synth` (offline, no credentials) and `npx cdk deploy`.
 * Context: `-c stackName=...` (default NimbusMq), `-c removalPolicy=destroy` for throwaway stacks,
 * `-c reservedConcurrency=none` for accounts whose Lambda concurrency quota is too low to reserve any.
 */
const app = new App();
const stackName = String(app.node.tryGetContext('stackName') ?? 'NimbusMq');
const destroy = String(app.node.tryGetContext('removalPolicy') ?? '').toLowerCase() === 'destroy';
const unreserved = String(app.node.tryGetContext('reservedConcurrency') ?? '').toLowerCase() === 'none';
new NimbusStack(app, stackName, {
  description: 'Nimbus MQ: serverless message queue with RocketMQ semantics',
  removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  reservedConcurrency: unreserved ? 'unreserved' : undefined,
  // Deploys to the account and region of the caller's credentials (environment-agnostic when synthesized offline).
  env: process.env['CDK_DEFAULT_ACCOUNT']
    ? { account: process.env['CDK_DEFAULT_ACCOUNT'], region: process.env['CDK_DEFAULT_REGION'] }
    : undefined,
});
// cdk-nag's AwsSolutions pack: any finding without an acknowledgement fails the synthesis.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
