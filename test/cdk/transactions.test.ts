import { type CfnResource, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECK_BACK_MAX_CONCURRENCY } from '../../lib/transactions.ts';
import { CHECK_BACK_SWEEP_EVENT } from '../../src/lambda/transaction-check-back-events.ts';
import { type Json, type SynthesizedStack, synthesizeWithNag } from './synth.ts';

type Resource = { Type: string; Properties?: Json };

let synth: SynthesizedStack;
let resources: Record<string, Resource>;

beforeAll(() => {
  // Without bundling (nimbus-stack.test.ts bundles the handlers); cdk-nag still checks everything.
  synth = synthesizeWithNag({ bundle: false });
  resources = synth.template.Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const logicalId = (construct: { node: { defaultChild?: unknown } }) => {
  const stack = Stack.of(synth.stack);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnResource)) as string;
};
const statementsOfRole = (roleId: string) =>
  ofType('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((role: Json) => role.Ref === roleId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Json[]);
const fn = (name: 'transaction-check-back' | 'transaction-commit' | 'send') => synth.stack.mq.functions[name]!;

describe('transactions in the CDK stack', () => {
  it('wakes transaction-check-back from an encrypted SQS queue, with bounded concurrency and a dead-letter queue', () => {
    const checkBack = synth.stack.mq.transactionCheckBack;
    const queueId = logicalId(checkBack.wakeUps);
    const queue = resources[queueId]?.Properties;
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/TransactionCheckBackDlq/), 'Arn'] },
      maxReceiveCount: 5,
    });
    const functionId = logicalId(fn('transaction-check-back').function);
    const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties);
    expect(mappings.filter((m) => m.FunctionName.Ref === functionId)).toEqual([
      expect.objectContaining({
        EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: CHECK_BACK_MAX_CONCURRENCY },
      }),
    ]);
    const props = resources[functionId]?.Properties;
    expect(props.ReservedConcurrentExecutions).toBe(CHECK_BACK_MAX_CONCURRENCY + 1);
    expect(props.Timeout).toBe(60);
    expect(props.Environment.Variables).toMatchObject({
      NIMBUS_CHECK_QUEUE_URL: { Ref: queueId },
      NIMBUS_CALLS_CHECKERS: 'true',
    });
  });

  it('runs the sweep every minute, with its own event', () => {
    const sweep = resources[logicalId(synth.stack.mq.transactionCheckBack.sweep)]?.Properties;
    expect(sweep.ScheduleExpression).toBe('rate(1 minute)');
    expect(JSON.parse(sweep.Target.Input)).toEqual(CHECK_BACK_SWEEP_EVENT);
    expect(sweep.Target.Arn).toEqual({ 'Fn::GetAtt': [logicalId(fn('transaction-check-back').function), 'Arn'] });
  });

  it('lets the check-back function invoke only the registered checker functions, never lambda:* or *', () => {
    const roleId = logicalId(fn('transaction-check-back').role);
    const statements = statementsOfRole(roleId);
    const invokes = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('lambda:')));
    const checkerId = Object.entries(resources).find(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('PaymentsChecker'),
    )?.[0];
    expect(checkerId).toBeDefined();
    expect(invokes).toEqual([
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [checkerId, 'Arn'] } },
    ]);
    for (const statement of statements) {
      expect([statement.Resource].flat()).not.toContain('*');
      expect([statement.Action].flat().some((a: string) => a.endsWith(':*'))).toBe(false);
    }
    // No other function may call checkers (push-deliver and push-stream invoke only their own targets).
    for (const [name, other] of Object.entries(synth.stack.mq.functions)) {
      if (name === 'transaction-check-back') continue;
      const invoked = statementsOfRole(logicalId(other.role))
        .filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'))
        .flatMap((s) => [s.Resource].flat());
      expect(JSON.stringify(invoked), name).not.toContain(checkerId);
      expect(invoked, name).not.toContain('*');
    }
  });

  it('serves commit and rollback from transaction-commit, and lets send arrange first checks', () => {
    const commitId = logicalId(fn('transaction-commit').function);
    const integrations = ofType('AWS::ApiGatewayV2::Integration').filter(
      ([, i]) => i.Properties.IntegrationUri['Fn::GetAtt'][0] === commitId,
    );
    expect(integrations).toHaveLength(1);
    const queueId = logicalId(synth.stack.mq.transactionCheckBack.wakeUps);
    const sendStatements = statementsOfRole(logicalId(fn('send').role));
    expect(sendStatements).toContainEqual(
      expect.objectContaining({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } }),
    );
    expect(resources[logicalId(fn('send').function)]?.Properties.Environment.Variables).toMatchObject({
      NIMBUS_CHECK_QUEUE_URL: { Ref: queueId },
    });
    expect(resources[logicalId(fn('send').function)]?.Properties.Environment.Variables).not.toHaveProperty(
      'NIMBUS_CALLS_CHECKERS',
    );
  });
});
