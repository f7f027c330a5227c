import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../lib/function-bundling.ts';
import { NimbusStack } from '../../lib/nimbus-stack.ts';
import { type Json, subscriberFunction } from './synth.ts';

type Template = { Resources: Record<string, { Type: string; Properties?: Json }> };

/** Two deployments of one account and region, as `-c stage=staging` and the default stage make them. */
const STACKS = { NimbusStaging: 'NimbusMQ/nimbusstaging-nimbus', NimbusProduction: 'NimbusMQ/nimbusproduction-nimbus' };

const templates: Record<string, Template> = {};
const stacks: Record<string, NimbusStack> = {};

beforeAll(() => {
  // No bundling: the environment and alarms are what this file checks, not the code.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  for (const id of Object.keys(STACKS)) {
    const stack = new NimbusStack(app, id);
    stack.mq.subscribeLambda('Billing', subscriberFunction(stack, 'Billing'), { group: 'billing' });
    stacks[id] = stack;
  }
  const assembly = app.synth();
  for (const id of Object.keys(STACKS)) templates[id] = assembly.getStackByName(id).template as Template;
});

const ofType = (id: string, type: string) =>
  Object.values(templates[id]!.Resources)
    .filter((resource) => resource.Type === type)
    .map((resource) => resource.Properties);

/** The namespaces of every metric an alarm watches, single-metric or metric math alike. */
function alarmNamespaces(alarm: Json): string[] {
  const inMath = (alarm.Metrics ?? []).flatMap((m: Json) => (m.MetricStat ? [m.MetricStat.Metric.Namespace] : []));
  return [alarm.Namespace, ...inMath].filter((namespace): namespace is string => typeof namespace === 'string');
}

describe('metric namespace per deployment', () => {
  it('gives each stack its own namespace, named after its table prefix', () => {
    for (const [id, namespace] of Object.entries(STACKS)) expect(stacks[id]!.mq.monitoring.namespace).toBe(namespace);
  });

  it("sets every function's POWERTOOLS_METRICS_NAMESPACE to its own stack's namespace", () => {
    for (const [id, namespace] of Object.entries(STACKS)) {
      const ours = ofType(id, 'AWS::Lambda::Function').filter(
        (fn) => fn.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'nimbus-mq',
      );
      expect(ours).toHaveLength(FUNCTION_NAMES.length);
      for (const fn of ours) expect(fn.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE).toBe(namespace);
    }
  });

  it("points every alarm on a custom metric at its own stack's namespace, so no alarm watches the other stack", () => {
    for (const [id, namespace] of Object.entries(STACKS)) {
      const custom = ofType(id, 'AWS::CloudWatch::Alarm')
        .flatMap(alarmNamespaces)
        .filter((name) => !name.startsWith('AWS/'));
      // Backlog, sealed offsets, API latency, push, delayed delivery and transactions alarms.
      expect(custom.length).toBeGreaterThanOrEqual(10);
      expect(new Set(custom)).toEqual(new Set([namespace]));
      const backlog = ofType(id, 'AWS::CloudWatch::Alarm').filter((a) => a.MetricName === 'MaxConsumerBacklog');
      expect(backlog).toEqual([expect.objectContaining({ Namespace: namespace })]);
    }
  });

  it("publishes the API latency metric filter and graphs the dashboard in the stack's own namespace", () => {
    for (const [id, namespace] of Object.entries(STACKS)) {
      const filters = ofType(id, 'AWS::Logs::MetricFilter').flatMap((f) => f.MetricTransformations);
      expect(filters.map((t: Json) => t.MetricNamespace)).toEqual([namespace]);
      const [dashboard] = ofType(id, 'AWS::CloudWatch::Dashboard');
      const body = JSON.stringify(dashboard.DashboardBody);
      expect(body).toContain(JSON.stringify(namespace).slice(1, -1));
      for (const other of Object.values(STACKS).filter((name) => name !== namespace)) expect(body).not.toContain(other);
    }
  });
});
