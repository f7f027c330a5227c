import { readFileSync } from 'node:fs';
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { NimbusStack } from '../../lib/nimbus-stack.ts';

/** A subscriber as an application would define it: its own role and log group, nothing managed. */
export function subscriberFunction(stack: Stack, id: string): LambdaFunction {
  const logGroup = new LogGroup(stack, `${id}Logs`, { retention: RetentionDays.ONE_WEEK });
  const role = new Role(stack, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  return new LambdaFunction(stack, id, {
    runtime: Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    role,
    logGroup,
  });
}

/** CloudFormation JSON: shapes differ per resource type, so tests read it untyped. */
// biome-ignore lint/suspicious/noExplicitAny: synthesized templates are plain untyped JSON
export type Json = any;

export interface SynthesizedStack {
  app: App;
  stack: NimbusStack;
  template: Record<string, unknown> & { Resources: Record<string, { Type: string; Properties?: Json }> };
}

/**
 * Synthesizes the Nimbus stack with one Lambda subscription, with cdk-nag's AwsSolutions
 * pack as a validation plugin. Bundling runs esbuild locally for every function.
 * Throws with the findings when any finding is not acknowledged.
 */
export function synthesizeWithNag(options: { bundle: boolean }): SynthesizedStack {
  const app = new App(options.bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new NimbusStack(app, 'NimbusTest');
  stack.mq.subscribeLambda('BillingSubscription', subscriberFunction(stack, 'Billing'), {
    group: 'billing',
    batchSize: 5,
    maxConcurrency: 3,
  });
  stack.mq.grantTransactionChecker(subscriberFunction(stack, 'PaymentsChecker'));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let assembly: ReturnType<App['synth']>;
  try {
    assembly = app.synth();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const reportPath = /found in: (\S+)/.exec(message)?.[1];
    const report = reportPath ? readFileSync(reportPath, 'utf8') : '';
    throw new Error(`${message}\n${report}`);
  }
  const template = assembly.getStackByName(stack.stackName).template as SynthesizedStack['template'];
  return { app, stack, template };
}
