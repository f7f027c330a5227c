import { App, type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATA_ACCESS } from '../../lib/data-access.ts';
import { FUNCTION_NAMES, type FunctionName } from '../../lib/function-bundling.ts';
import { FUNCTION_MEMORY_MB } from '../../lib/function-memory.ts';
import { HEALTH_THROTTLE } from '../../lib/http-api.ts';
import { DEFAULT_RESERVED_CONCURRENCY, NimbusMq } from '../../lib/nimbus-mq.ts';
import { NimbusStack } from '../../lib/nimbus-stack.ts';
import { STREAM_READ_ACTIONS } from '../../lib/push-stream-trigger.ts';
import { CHECK_BACK_MAX_CONCURRENCY } from '../../lib/transactions.ts';
import { type TableId, tableDefinitions } from '../../src/adapters/dynamodb/table-definitions.ts';
import { ALL_ROUTE_SPECS } from '../../src/api/routes.ts';
import { LIMITS } from '../../src/core/limits.ts';
import { SEALED_OFFSETS_METRIC } from '../../src/lambda/sealed-offsets.ts';
import { type Json, type SynthesizedStack, synthesizeWithNag } from './synth.ts';

type Resource = { Type: string; Properties?: Json };

let synth: SynthesizedStack;
let resources: Record<string, Resource>;

beforeAll(() => {
  // Synthesized once for the file: esbuild bundles every function, cdk-nag checks everything.
  synth = synthesizeWithNag({ bundle: true });
  resources = synth.template.Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const logicalId = (construct: { node: { defaultChild?: unknown } }) => {
  const stack = Stack.of(synth.stack);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnResource)) as string;
};
const functionId = (name: FunctionName) => {
  const fn = synth.stack.mq.functions[name];
  if (!fn) throw new Error(`no ${name} function`);
  return logicalId(fn.function);
};
/** Every policy document attached to the role of a function. */
const statementsOf = (name: FunctionName) => {
  const roleId = logicalId(synth.stack.mq.functions[name]!.role);
  return ofType('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((role: Json) => role.Ref === roleId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Json[]);
};
const actionsOf = (statement: Json): string[] => [statement.Action].flat();

describe('NimbusStack', () => {
  it('synthesizes with no unacknowledged cdk-nag AwsSolutions finding (checked in beforeAll)', () => {
    // Plus the test stack's subscriber and transaction checker.
    expect(ofType('AWS::Lambda::Function').length).toBe(FUNCTION_NAMES.length + 2);
  });

  it('acknowledges findings only with specific reasons', () => {
    const acknowledgements = synth.stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    const rules = acknowledgements.map(([id]) => id.replace(/\[.*/, ''));
    // S1 on the body bucket, SQS3 on the scheduler DLQ, APIG4 on the health check and console routes, IAM5 (bodies/* prefix)
    // on each role with body access, IAM5 (bucket schedules of the delays group) on the send role.
    const rolesWithBodies = FUNCTION_NAMES.filter((name) => DATA_ACCESS[name].bodies.length > 0).length;
    expect(rules.sort()).toEqual(
      [
        ...Array<string>(3).fill('AwsSolutions::AwsSolutions-APIG4'),
        'AwsSolutions::AwsSolutions-S1',
        'AwsSolutions::AwsSolutions-SQS3',
        ...Array<string>(rolesWithBodies + 1).fill('AwsSolutions::AwsSolutions-IAM5'),
      ].sort(),
    );
    for (const [, reason] of acknowledgements) expect(reason.length).toBeGreaterThan(80);
  });

  it('wires every API route to the function of its area, with IAM auth on all but GET /healthz', () => {
    const areaOf = (tag: string, path: string): FunctionName =>
      path.startsWith('/v1/transactions/')
        ? 'transaction-commit'
        : tag === 'messages'
          ? 'send'
          : tag === 'consume'
            ? 'consume-pull'
            : 'admin';
    const expected = Object.fromEntries(
      ALL_ROUTE_SPECS.map((spec) => [`${spec.method} ${spec.path}`, functionId(areaOf(spec.tag, spec.path))]),
    );
    expected['$default'] = functionId('admin');
    const integrations = Object.fromEntries(
      ofType('AWS::ApiGatewayV2::Integration').map(([id, integration]) => [
        id,
        integration.Properties.IntegrationUri['Fn::GetAtt'][0] as string,
      ]),
    );
    const wired = Object.fromEntries(
      ofType('AWS::ApiGatewayV2::Route').map(([, route]) => {
        const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref as string;
        // The open console routes and their function are checked in console.test.ts.
        const open =
          route.Properties.RouteKey === 'GET /healthz' || route.Properties.RouteKey.startsWith('GET /console');
        expect(route.Properties.AuthorizationType, route.Properties.RouteKey).toBe(open ? 'NONE' : 'AWS_IAM');
        return [route.Properties.RouteKey as string, integrations[integrationId]];
      }),
    );
    for (const key of Object.keys(wired)) if (key.startsWith('GET /console')) delete wired[key];
    expect(wired).toEqual(expected);
  });

  it('throttles the open health check on its own route, below the stage default', () => {
    const [[, stage]] = ofType('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
    expect(stage.Properties.RouteSettings['GET /healthz']).toEqual({
      ThrottlingRateLimit: HEALTH_THROTTLE.rateLimit,
      ThrottlingBurstLimit: HEALTH_THROTTLE.burstLimit,
    });
    expect(HEALTH_THROTTLE.rateLimit).toBeLessThan(stage.Properties.DefaultRouteSettings.ThrottlingRateLimit);
  });

  it('reserves concurrency so long-polls cannot starve send, and leaves the rest of the account unreserved', () => {
    const reserved = (name: FunctionName) => resources[functionId(name)]!.Properties.ReservedConcurrentExecutions;
    expect(reserved('send')).toBe(DEFAULT_RESERVED_CONCURRENCY.send);
    expect(reserved('consume-pull')).toBe(DEFAULT_RESERVED_CONCURRENCY.consumePull);
    // The check-back function's cap keeps checkers (producers' own services) from being flooded.
    expect(reserved('transaction-check-back')).toBe(CHECK_BACK_MAX_CONCURRENCY + 1);
    const unreserved = ['send', 'consume-pull', 'transaction-check-back'];
    for (const name of FUNCTION_NAMES.filter((n) => !unreserved.includes(n)))
      expect(reserved(name), name).toBeUndefined();
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Unreserved');
    const mq = new NimbusMq(stack, 'Mq', { reservedConcurrency: 'unreserved' });
    const template = app.synth().getStackByName(stack.stackName).template as SynthesizedStack['template'];
    const sendId = stack.resolve(stack.getLogicalId(mq.functions.send!.function.node.defaultChild as CfnResource));
    expect(template.Resources[sendId]!.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('builds the tables from the store definitions: on demand, TTL, PITR, encryption, streams', () => {
    const definitions = Object.values(tableDefinitions('nimbustest-nimbus'));
    const tables = ofType('AWS::DynamoDB::Table').map(([, table]) => table.Properties);
    expect(tables.map((t) => t.TableName).sort()).toEqual(definitions.map((d) => d.tableName).sort());
    for (const definition of definitions) {
      const table = tables.find((t) => t.TableName === definition.tableName);
      expect(table).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: definition.timeToLiveAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
      const keys = [definition.partitionKey, definition.sortKey].filter((k) => k !== undefined);
      expect(table.KeySchema).toEqual(
        keys.map((key, i) => ({ AttributeName: key.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
      );
      expect((table.GlobalSecondaryIndexes ?? []).map((index: Json) => index.IndexName)).toEqual(
        definition.globalSecondaryIndexes.map((index) => index.indexName),
      );
      expect(table.StreamSpecification?.StreamViewType).toBe(definition.stream);
    }
  });

  it('keeps large bodies in an encrypted, TLS-only, private bucket that expires with retention', () => {
    const [[bucketId, bucket]] = ofType('AWS::S3::Bucket') as [[string, Resource]];
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 3, Status: 'Enabled' })] },
    });
    // A body must outlive its message: objects are written before their message's expiry is counted from.
    const [rule] = resources[bucketId]!.Properties.LifecycleConfiguration.Rules;
    expect(rule.ExpirationInDays * 86_400_000).toBeGreaterThanOrEqual(LIMITS.maxRetentionMs);
    const [[, policy]] = ofType('AWS::S3::BucketPolicy') as [[string, Resource]];
    expect(policy.Properties.Bucket.Ref).toBe(bucketId);
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('runs every function on Node 24, arm64, at its measured memory size, with the store settings in its environment', () => {
    for (const name of FUNCTION_NAMES) {
      const fn = resources[functionId(name)]!;
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        MemorySize: FUNCTION_MEMORY_MB[name],
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Environment: {
          Variables: expect.objectContaining({
            NIMBUS_TABLE_PREFIX: 'nimbustest-nimbus',
            NIMBUS_BODY_BUCKET: expect.anything(),
            POWERTOOLS_SERVICE_NAME: 'nimbus-mq',
            POWERTOOLS_METRICS_NAMESPACE: 'NimbusMQ/nimbustest-nimbus',
          }),
        },
      });
    }
  });

  it('gives each function exactly its own data actions: no wildcard actions, no managed policies', () => {
    for (const [, role] of ofType('AWS::IAM::Role')) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    for (const name of FUNCTION_NAMES) {
      const statements = statementsOf(name);
      const actions = statements.flatMap(actionsOf);
      for (const action of actions) expect(action).not.toContain('*');
      const granted = new Set(actions.filter((a) => a.startsWith('dynamodb:') || a.startsWith('s3:')));
      const access = DATA_ACCESS[name];
      const expected = new Set<string>([
        ...Object.values(access.tables).flatMap((table) => table.actions),
        ...access.bodies,
        ...(access.listBodies ? ['s3:ListBucket'] : []),
        ...(Object.values(access.tables).some((t) => t.indexes?.length) ? ['dynamodb:Query'] : []),
        ...(name === 'push-stream' ? STREAM_READ_ACTIONS : []),
      ]);
      expect([...granted].sort(), name).toEqual([...expected].sort());
      // Data statements name resources; only the log group grant comes from a GetAtt of the group.
      for (const statement of statements) expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
    }
  });

  it('scopes table grants per function: the sender only reads topics, the sweeper never touches state', () => {
    const stateId = logicalId(synth.stack.mq.tables.tables.state);
    const onState = (name: FunctionName) =>
      statementsOf(name)
        .filter((s) => JSON.stringify(s.Resource).includes(stateId))
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('dynamodb:'));
    expect(new Set(onState('send'))).toEqual(new Set(['dynamodb:GetItem']));
    expect(onState('retention-sweep')).toEqual([]);
    expect(onState('consume-pull')).toContain('dynamodb:UpdateItem');
    const dueLeases = statementsOf('consume-pull').filter((s) =>
      JSON.stringify(s.Resource).includes('/index/due-leases'),
    );
    expect(dueLeases.flatMap(actionsOf)).toEqual(['dynamodb:Query']);
  });

  it('lets the push driver invoke the subscribed function, and nothing else', () => {
    const invoke = statementsOf('push-deliver').filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(invoke).toEqual([
      expect.objectContaining({
        Resource: { 'Fn::GetAtt': [logicalId(synth.stack.node.findChild('Billing') as Json), 'Arn'] },
      }),
    ]);
  });

  it('schedules the retention sweep, the backlog metrics, lease expiry and each subscription, with a dead-letter queue', () => {
    const schedules = ofType('AWS::Scheduler::Schedule').map(([, s]) => s.Properties);
    const byTarget = (name: FunctionName) =>
      schedules.filter((s) => s.Target.Arn['Fn::GetAtt'][0] === functionId(name));
    expect(byTarget('retention-sweep').map((s) => s.ScheduleExpression)).toEqual(['rate(1 hour)']);
    expect(byTarget('backlog-metrics').map((s) => s.ScheduleExpression)).toEqual(['rate(5 minutes)']);
    expect(byTarget('lease-expiry').map((s) => s.ScheduleExpression)).toEqual(['rate(1 minute)']);
    const [push] = byTarget('push-deliver');
    if (!push) throw new Error('no push-deliver schedule');
    expect(push.ScheduleExpression).toBe('rate(1 minute)');
    expect(push.Target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 });
    const input = (push.Target.Input['Fn::Join'][1] as unknown[]).filter((part) => typeof part === 'string').join('');
    expect(input).toContain('"group":"billing"');
    expect(input).toContain('"batchSize":5,"maxConcurrency":3');
    for (const schedule of schedules)
      expect(schedule.Target.DeadLetterConfig.Arn['Fn::GetAtt'][0]).toMatch(/SchedulerDlq/);
    // Scheduler roles may invoke only the unqualified function.
    for (const [, policy] of ofType('AWS::IAM::Policy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        if (actionsOf(statement).includes('lambda:InvokeFunction'))
          expect(JSON.stringify(statement.Resource)).not.toContain(':*');
      }
    }
  });

  it('sends failed asynchronous invocations to encrypted, TLS-only SQS dead-letter queues', () => {
    const background = [
      'retention-sweep',
      'backlog-metrics',
      'lease-expiry',
      'push-deliver',
      'timer-release',
      'transaction-check-back',
    ] as const;
    for (const name of background) {
      const fn = resources[functionId(name)]!;
      expect(fn.Properties.DeadLetterConfig.TargetArn['Fn::GetAtt'][1]).toBe('Arn');
    }
    const wakeUpIds = [
      logicalId(synth.stack.mq.delayedDelivery.wakeUps),
      logicalId(synth.stack.mq.transactionCheckBack.wakeUps),
    ];
    const queues = ofType('AWS::SQS::Queue').filter(([id]) => !wakeUpIds.includes(id));
    // One per background function and the scheduler's (besides the wake-up queues of delays and check-backs).
    expect(queues.length).toBe(background.length + 1);
    for (const [, queue] of queues)
      expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    for (const [, policy] of ofType('AWS::SQS::QueuePolicy')) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('alarms on function errors, throttles and near-timeout durations, dead-letter queue depth, consumer backlog and push dead letters', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const onFunction = (metric: string, name: FunctionName) =>
      alarms.filter(
        (a) =>
          a.Namespace === 'AWS/Lambda' &&
          a.MetricName === metric &&
          a.Dimensions?.[0]?.Value?.Ref === functionId(name) &&
          a.Threshold === 1,
      );
    for (const name of FUNCTION_NAMES) {
      expect(onFunction('Errors', name), name).toHaveLength(1);
      expect(onFunction('Throttles', name), name).toHaveLength(1);
      const timeoutMs = resources[functionId(name)]!.Properties.Timeout * 1000;
      const nearTimeout = alarms.filter(
        (a) => a.MetricName === 'Duration' && a.Dimensions?.[0]?.Value?.Ref === functionId(name),
      );
      expect(nearTimeout, name).toEqual([
        expect.objectContaining({ Statistic: 'Maximum', Threshold: timeoutMs * 0.9 }),
      ]);
    }
    expect(alarms.filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible')).toHaveLength(
      Object.keys(synth.stack.mq.deadLetterQueues).length,
    );
    expect(alarms.filter((a) => a.MetricName === 'MaxConsumerBacklog')).toEqual([
      expect.objectContaining({ Namespace: 'NimbusMQ/nimbustest-nimbus', Threshold: 10_000, EvaluationPeriods: 3 }),
    ]);
    expect(alarms.filter((a) => a.MetricName === 'PushDeadLettered')).toEqual([
      expect.objectContaining({
        Dimensions: expect.arrayContaining([{ Name: 'group', Value: 'billing' }]),
      }),
    ]);
    expect(alarms.filter((a) => a.MetricName === SEALED_OFFSETS_METRIC)).toEqual([
      expect.objectContaining({ Namespace: 'NimbusMQ/nimbustest-nimbus', Statistic: 'Sum', Threshold: 1 }),
    ]);
    expect(ofType('AWS::CloudWatch::Dashboard')).toHaveLength(1);
  });

  it('alarms on DynamoDB throttles and system errors of every table, over every operation it serves', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const onTable = (metricName: string, tableId: string) =>
      alarms.filter((a) =>
        (a.Metrics ?? []).some(
          (m: Json) =>
            m.MetricStat?.Metric.MetricName === metricName &&
            m.MetricStat.Metric.Dimensions.some((d: Json) => d.Name === 'TableName' && d.Value.Ref === tableId),
        ),
      );
    for (const [id, table] of Object.entries(synth.stack.mq.tables.tables) as [TableId, Json][]) {
      for (const metricName of ['ThrottledRequests', 'SystemErrors']) {
        const [alarm, ...others] = onTable(metricName, logicalId(table));
        expect(others, metricName).toEqual([]);
        const operations = alarm.Metrics.flatMap((m: Json) =>
          (m.MetricStat?.Metric.Dimensions ?? []).filter((d: Json) => d.Name === 'Operation').map((d: Json) => d.Value),
        );
        const granted = Object.values(DATA_ACCESS).flatMap((access) => access.tables[id]?.actions ?? []);
        expect(new Set(operations)).toEqual(
          new Set([...granted.map((action) => action.replace('dynamodb:', '')), 'TransactWriteItems']),
        );
        expect(operations.length, `${id}: a math expression alarm takes at most 10 metrics`).toBeLessThanOrEqual(10);
      }
    }
  });

  it('alarms on API 5xx and 4xx rates and on API latency without the long-poll', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const rateAlarm = (metric: string) =>
      alarms.filter((a) => (a.Metrics ?? []).some((m: Json) => m.MetricStat?.Metric.MetricName === metric));
    const [serverErrors] = rateAlarm('5xx');
    expect(serverErrors.Threshold).toBe(1);
    expect(serverErrors.Metrics.find((m: Json) => m.Expression).Expression).toBe(
      'IF(errors >= 5, 100 * errors / requests, 0)',
    );
    const [clientErrors] = rateAlarm('4xx');
    expect(clientErrors.Threshold).toBe(25);
    const [latency, ...more] = alarms.filter((a) => a.MetricName === 'ApiLatencyWithoutLongPolls');
    expect(more).toEqual([]);
    expect(latency).toMatchObject({
      Namespace: 'NimbusMQ/nimbustest-nimbus',
      ExtendedStatistic: 'p95',
      Threshold: 1_500,
      EvaluationPeriods: 3,
    });
    const [[, filter]] = ofType('AWS::Logs::MetricFilter') as [[string, Resource]];
    const [[stageId, stage]] = ofType('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
    expect(filter.Properties.LogGroupName.Ref).toBe(stage.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0]);
    expect(stageId).toBeDefined();
    expect(filter.Properties.FilterPattern).toBe('{ $.route != "POST /v1/groups/{group}/receive" }');
    expect(filter.Properties.MetricTransformations).toEqual([
      expect.objectContaining({
        MetricName: 'ApiLatencyWithoutLongPolls',
        MetricNamespace: 'NimbusMQ/nimbustest-nimbus',
        MetricValue: '$.latencyMs',
        Unit: 'Milliseconds',
      }),
    ]);
    // The access log line is JSON with the latency as a bare number, so the filter can read it.
    const line = stage.Properties.AccessLogSettings.Format.replaceAll(/\$context\.[A-Za-z.]+/g, '7');
    expect(JSON.parse(line)).toMatchObject({ route: '7', latencyMs: 7 });
  });

  it('fails synthesis on a finding nobody acknowledged', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new NimbusStack(app, 'Unreviewed');
    // An application function with the default role: AWS managed policy, which AwsSolutions-IAM4 flags.
    stack.mq.subscribeLambda(
      'Sub',
      new LambdaFunction(stack, 'Plain', {
        runtime: Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: Code.fromInline('exports.handler = async () => ({})'),
      }),
      { group: 'g' },
    );
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM4/);
  });

  it('refuses subscription settings out of range at synthesis time', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new NimbusStack(app, 'Invalid');
    const target = new LambdaFunction(stack, 'Target', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => ({})'),
    });
    expect(() => stack.mq.subscribeLambda('A', target, { group: 'g', batchSize: 33 })).toThrow(/batchSize/);
    expect(() => stack.mq.subscribeLambda('B', target, { group: 'bad group' })).toThrow(/Group name/);
    // One subscription per group lane: a second would only take turns with the first on its push lock.
    stack.mq.subscribeLambda('C', target, { group: 'g' });
    expect(() => stack.mq.subscribeLambda('D', target, { group: 'g' })).toThrow(
      /already has the Lambda subscription "C"/,
    );
    stack.mq.subscribeLambda('E', target, { group: 'screens', clientId: 'wall-1' });
    stack.mq.subscribeLambda('F', target, { group: 'screens', clientId: 'wall-2' });
    expect(() => stack.mq.subscribeLambda('G', target, { group: 'screens', clientId: 'wall-1' })).toThrow(
      /screens@wall-1/,
    );
  });

  it('logs API access and prints the API URL', () => {
    const [[, stage]] = ofType('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
    expect(stage.Properties.StageName).toBe('$default');
    expect(stage.Properties.AccessLogSettings.Format).toContain('$context.requestId');
    expect(Object.keys(synth.template['Outputs'] as object)).toContain('ApiUrl');
  });
});
