import { App, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { NimbusStack } from '../../lib/nimbus-stack.ts';
import { PUSH_STREAM_SOURCE, SUBSCRIPTION_LIST_BUDGET } from '../../lib/push-stream-trigger.ts';
import { type Json, type SynthesizedStack, subscriberFunction, synthesizeWithNag } from './synth.ts';

type Resource = { Type: string; Properties?: Json };

let synth: SynthesizedStack;
let resources: Record<string, Resource>;

beforeAll(() => {
  // cdk-nag's AwsSolutions pack runs as a validation plugin: synthesis throws on any unacknowledged finding.
  synth = synthesizeWithNag({ bundle: false });
  resources = synth.template.Resources;
});

const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
const idOf = (construct: { node: { defaultChild?: unknown } }) => {
  const stack = Stack.of(synth.stack);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as never)) as string;
};
const fnId = (name: 'push-stream' | 'push-deliver') => idOf(synth.stack.mq.functions[name]!.function);
const statementsOf = (name: 'push-stream') => {
  const roleId = idOf(synth.stack.mq.functions[name]!.role);
  return ofType('AWS::IAM::Policy')
    .filter((policy) => policy.Properties.Roles.some((role: Json) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Json[]);
};

describe('the push-stream trigger', () => {
  it('reads only new segments from the messages stream, batched over a window, with retries and bisection', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(
      (m) => m.Properties.FunctionName.Ref === fnId('push-stream'),
    );
    expect(mappings).toHaveLength(1);
    const [mapping] = mappings as [Resource];
    const messagesId = idOf(synth.stack.mq.tables.tables.messages);
    expect(mapping.Properties).toMatchObject({
      FunctionName: { Ref: fnId('push-stream') },
      EventSourceArn: { 'Fn::GetAtt': [messagesId, 'StreamArn'] },
      StartingPosition: 'LATEST',
      BatchSize: PUSH_STREAM_SOURCE.batchSize,
      MaximumBatchingWindowInSeconds: 1,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 2,
      MaximumRecordAgeInSeconds: 60,
    });
    const patterns = mapping.Properties.FilterCriteria.Filters.map((filter: Json) => JSON.parse(filter.Pattern));
    // The stream harness (test/functions/push-stream-harness.ts) applies the same pattern to real stream records.
    expect(patterns).toEqual([
      {
        eventName: ['INSERT'],
        dynamodb: {
          NewImage: { m: { B: [{ exists: true }] }, st: { N: [{ exists: true }] }, rt: { N: [{ exists: true }] } },
        },
      },
    ]);
  });

  it('may invoke the push driver and read the messages stream and the state table, nothing else', () => {
    const statements = statementsOf('push-stream');
    const invoke = statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    expect(invoke).toEqual([expect.objectContaining({ Resource: { 'Fn::GetAtt': [fnId('push-deliver'), 'Arn'] } })]);
    for (const statement of statements) expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
    const onStream = statements.filter((s) => JSON.stringify(s.Resource).includes('StreamArn'));
    expect(onStream.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ]);
  });

  it('tells the function the driver and the subscriptions, with the settings their schedules use', () => {
    const fn = resources[fnId('push-stream')]!;
    const variables = fn.Properties.Environment.Variables;
    expect(variables.NIMBUS_PUSH_DRIVER).toEqual({ Ref: fnId('push-deliver') });
    const list = JSON.stringify(variables.NIMBUS_PUSH_SUBSCRIPTIONS);
    expect(list).toContain('\\"group\\":\\"billing\\"');
    expect(list).toContain('\\"batchSize\\":5');
    expect(list).toContain('\\"maxConcurrency\\":3');
  });

  it('refuses at synth a subscription list too long for the function environment, and takes a dozen', () => {
    const synthWith = (count: number) => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new NimbusStack(app, 'NimbusMany');
      for (let i = 0; i < count; i++) {
        stack.mq.subscribeLambda(`Subscription${i}`, subscriberFunction(stack, `Subscriber${i}`), {
          group: `group-${String(i).padStart(2, '0')}`,
        });
      }
      const template = app.synth().getStackByName(stack.stackName).template;
      const fn = Object.values(template.Resources as Record<string, Resource>).find(
        (resource) => resource.Properties?.Environment?.Variables?.NIMBUS_PUSH_SUBSCRIPTIONS !== undefined,
      );
      return fn?.Properties.Environment.Variables;
    };
    const fits = synthWith(12);
    // Deployed, each unresolved ARN becomes at most 128 characters: the whole environment stays under 4 KB.
    const listed = JSON.stringify(fits.NIMBUS_PUSH_SUBSCRIPTIONS);
    expect(listed).toContain('group-11');
    expect(() => synthWith(20)).toThrow(
      new RegExp(`20 Lambda subscriptions .* over the ${SUBSCRIPTION_LIST_BUDGET} bytes`),
    );
  }, 120_000);
});
