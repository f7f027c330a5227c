import { type CfnResource, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { LATE_RELEASE_MS } from '../../lib/delayed-delivery.ts';
import { type Json, type SynthesizedStack, synthesizeWithNag } from './synth.ts';

type Resource = { Type: string; Properties?: Json };

let synth: SynthesizedStack;
let resources: Record<string, Resource>;

beforeAll(() => {
  // Without bundling (the handler files are bundled in nimbus-stack.test.ts); cdk-nag still checks everything.
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
const actions = (statements: Json[]) => statements.flatMap((statement) => [statement.Action].flat()).sort();

describe('delayed delivery in the CDK stack', () => {
  it('wakes timer-release from an encrypted SQS queue with partial batch failures and a dead-letter queue', () => {
    const delivery = synth.stack.mq.delayedDelivery;
    const queueId = logicalId(delivery.wakeUps);
    const queue = resources[queueId]?.Properties;
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/TimerReleaseDlq/), 'Arn'] },
      maxReceiveCount: 5,
    });
    const timerId = logicalId(synth.stack.mq.functions['timer-release']!.function);
    const [mapping] = ofType('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties);
    expect(mapping).toMatchObject({
      FunctionName: { Ref: timerId },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('runs the sweep every minute and gives Scheduler a role that can only invoke timer-release', () => {
    const delivery = synth.stack.mq.delayedDelivery;
    const timerId = logicalId(synth.stack.mq.functions['timer-release']!.function);
    const sweep = resources[logicalId(delivery.sweep)]?.Properties;
    expect(sweep.ScheduleExpression).toBe('rate(1 minute)');
    expect(JSON.parse(sweep.Target.Input)).toEqual({ nimbus: 'release-sweep' });
    expect(sweep.Target.Arn).toEqual({ 'Fn::GetAtt': [timerId, 'Arn'] });

    const group = resources[logicalId(delivery.scheduleGroup)]?.Properties;
    expect(group.Name).toMatch(/-delays$/);
    const roleId = logicalId(delivery.schedulerRole);
    const trust = resources[roleId]?.Properties.AssumeRolePolicyDocument.Statement[0];
    expect(trust.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    expect(Object.keys(trust.Condition).sort()).toEqual(['ArnLike', 'StringEquals']);
    const statements = statementsOfRole(roleId);
    expect(actions(statements)).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
    const invoke = statements.find((statement) => statement.Action === 'lambda:InvokeFunction');
    expect(invoke.Resource).toEqual({ 'Fn::GetAtt': [timerId, 'Arn'] });
  });

  it('lets send create bucket schedules in the delays group and pass only the scheduler role, to Scheduler only', () => {
    const send = synth.stack.mq.functions.send!;
    const statements = statementsOfRole(logicalId(send.role));
    // The transaction check-back queue's grant is transactions' (test/cdk/transactions.test.ts).
    const checkQueue = { 'Fn::GetAtt': [logicalId(synth.stack.mq.transactionCheckBack.wakeUps), 'Arn'] };
    const delayStatements = statements.filter(
      (statement) =>
        [statement.Action].flat().some((action: string) => /^(sqs|scheduler|iam):/.test(action)) &&
        JSON.stringify(statement.Resource) !== JSON.stringify(checkQueue),
    );
    expect(actions(delayStatements)).toEqual(['iam:PassRole', 'scheduler:CreateSchedule', 'sqs:SendMessage']);
    const passRole = delayStatements.find((statement) => statement.Action === 'iam:PassRole');
    expect(passRole.Resource).toEqual({
      'Fn::GetAtt': [logicalId(synth.stack.mq.delayedDelivery.schedulerRole), 'Arn'],
    });
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
    const create = delayStatements.find((statement) => statement.Action === 'scheduler:CreateSchedule');
    expect(JSON.stringify(create.Resource)).toMatch(/:schedule\/.*-delays\/\*/);
    const env = resources[logicalId(send.function)]?.Properties.Environment.Variables;
    expect(
      Object.keys(env)
        .filter((name) => name.startsWith('NIMBUS_RELEASE_'))
        .sort(),
    ).toEqual([
      'NIMBUS_RELEASE_FUNCTION_ARN',
      'NIMBUS_RELEASE_QUEUE_URL',
      'NIMBUS_RELEASE_SCHEDULER_DLQ_ARN',
      'NIMBUS_RELEASE_SCHEDULER_ROLE_ARN',
      'NIMBUS_RELEASE_SCHEDULE_GROUP',
    ]);
  });

  it('alarms on late releases, missed wake-ups, failed releases, wake-ups not arranged and the dead-letter queue', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    const late = alarms.find((alarm) => alarm.MetricName === 'ReleaseLatenessMs');
    expect(late).toMatchObject({
      ExtendedStatistic: 'p99',
      Threshold: LATE_RELEASE_MS,
      Namespace: 'NimbusMQ/nimbustest-nimbus',
    });
    expect(alarms.map((alarm) => alarm.MetricName)).toEqual(
      expect.arrayContaining(['ReleasedBySweep', 'ReleaseFailures', 'WakeUpFailures']),
    );
    const dlqId = logicalId(synth.stack.mq.deadLetterQueues['TimerReleaseDlq']!);
    const dlqAlarm = alarms.find((alarm) =>
      (alarm.Dimensions ?? []).some((d: Json) => JSON.stringify(d.Value).includes(dlqId)),
    );
    expect(dlqAlarm?.MetricName).toBe('ApproximateNumberOfMessagesVisible');
  });
});
