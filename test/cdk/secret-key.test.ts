import { type CfnResource, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FunctionName } from '../../lib/function-bundling.ts';
import { type Json, type SynthesizedStack, synthesizeWithNag } from './synth.ts';

type Resource = { Type: string; Properties?: Json };

let synth: SynthesizedStack;
let resources: Record<string, Resource>;
let keyId: string;

beforeAll(() => {
  // Without bundling; cdk-nag's AwsSolutions pack still checks the key and every grant.
  synth = synthesizeWithNag({ bundle: false });
  resources = synth.template.Resources;
  const stack = Stack.of(synth.stack);
  keyId = stack.resolve(stack.getLogicalId(synth.stack.mq.secretKey.node.defaultChild as CfnResource)) as string;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const mentionsKey = (value: Json) => JSON.stringify(value).includes(`"${keyId}"`);

/** Role logical id -> the KMS actions its policies allow on the secret key. */
function kmsActionsByRole(): Map<string, string[]> {
  const byRole = new Map<string, string[]>();
  for (const [, policy] of ofType('AWS::IAM::Policy')) {
    for (const statement of policy.Properties.PolicyDocument.Statement as Json[]) {
      const actions = [statement.Action].flat() as string[];
      const kms = actions.filter((action) => action.startsWith('kms:'));
      if (kms.length === 0) continue;
      // No KMS grant reaches any other key, or every key.
      expect(mentionsKey(statement.Resource)).toBe(true);
      expect(statement.Condition).toEqual({ Null: { 'kms:EncryptionContext:producerGroup': 'false' } });
      for (const role of policy.Properties.Roles as Json[]) {
        byRole.set(role.Ref, [...(byRole.get(role.Ref) ?? []), ...kms]);
      }
    }
  }
  return byRole;
}

const roleOf = (name: FunctionName) => {
  const stack = Stack.of(synth.stack);
  const role = synth.stack.mq.functions[name]?.role;
  return stack.resolve(stack.getLogicalId(role?.node.defaultChild as CfnResource)) as string;
};

describe('the key that seals webhook secrets', () => {
  it('is a customer-managed symmetric key with rotation on, retained with the tables', () => {
    expect(resources[keyId]?.Type).toBe('AWS::KMS::Key');
    expect(resources[keyId]?.Properties.EnableKeyRotation).toBe(true);
    expect((resources[keyId] as Json).DeletionPolicy).toBe('Retain');
  });

  it('lets only admin encrypt and only transaction-check-back decrypt, bound to a producer group', () => {
    const byRole = kmsActionsByRole();
    expect(Object.fromEntries(byRole)).toEqual({
      [roleOf('admin')]: ['kms:Encrypt'],
      [roleOf('transaction-check-back')]: ['kms:Decrypt'],
    });
  });

  it('names the key to those two functions only', () => {
    const withKey = ofType('AWS::Lambda::Function')
      .filter(([, fn]) => fn.Properties.Environment?.Variables?.NIMBUS_SECRET_KEY_ARN !== undefined)
      .map(([id]) => id);
    const stack = Stack.of(synth.stack);
    const functionId = (name: FunctionName) =>
      stack.resolve(
        stack.getLogicalId(synth.stack.mq.functions[name]?.function.node.defaultChild as CfnResource),
      ) as string;
    expect(withKey.sort()).toEqual([functionId('admin'), functionId('transaction-check-back')].sort());
    for (const id of withKey) {
      expect(resources[id]?.Properties.Environment.Variables.NIMBUS_SECRET_KEY_ARN).toEqual({
        'Fn::GetAtt': [keyId, 'Arn'],
      });
    }
  });
});
