import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { BODY_KEY_PREFIX } from './data-access.ts';

/*
 * The cdk-nag AwsSolutions findings Nimbus MQ accepts, each on the one resource it concerns
 * and with its reason. Anything else fails synthesis (and the CDK tests).
 */

export function acknowledgeBodyBucket(bucket: Bucket): void {
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions::AwsSolutions-S1',
    reason:
      'The bucket holds only claim-checked message bodies that the functions read and write through their IAM roles; a second bucket of server access logs would have no reader (CloudTrail data events are the audit trail where one is required).',
  });
}

export function acknowledgeSchedulerDeadLetterQueue(queue: Queue): void {
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SQS3',
    reason:
      'This queue is itself a dead-letter queue: EventBridge Scheduler sends it the events it could not deliver (the rule only recognizes dead-letter queues of other SQS queues).',
  });
}

/** The health check route, open to uptime probes; every other route keeps IAM auth. */
export function acknowledgeHealthRoute(route: HttpRoute): void {
  Validations.of(route).acknowledge({
    id: 'AwsSolutions::AwsSolutions-APIG4',
    reason:
      'GET /healthz is the health check for uptime probes, which cannot sign requests: it answers a constant {"status":"ok"}, reads no data and is throttled on its own route; every other route requires IAM (SigV4).',
  });
}

/** An open console route: a browser cannot sign the request for the page itself. */
export function acknowledgeConsoleRoute(route: HttpRoute): void {
  Validations.of(route).acknowledge({
    id: 'AwsSolutions::AwsSolutions-APIG4',
    reason:
      "GET /console and GET /console/{proxy+} serve the web console's static files (no data) from a function with no data access, throttled on their own routes; the page signs every API call with the visitor's IAM credentials, and every /v1 route requires IAM (SigV4).",
  });
}

/** A function role's object grant on the body bucket's key prefix. */
export function acknowledgeBodyAccess(role: IRole, bucket: Bucket): void {
  const bucketArn = `<${logicalId(bucket.node.defaultChild as CfnResource)}.Arn>`;
  Validations.of(role).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::${bucketArn}/${BODY_KEY_PREFIX}*]`,
    reason:
      'Body objects are created at runtime under bodies/<topic>/<msgId>, so object access is granted on that key prefix of the one body bucket, with only the object actions this function uses.',
  });
}

function logicalId(resource: CfnResource): string {
  const stack = Stack.of(resource);
  return stack.resolve(stack.getLogicalId(resource)) as string;
}

/** A sender's grant to create the one-time schedules of minute buckets (named at runtime) in the delays group. */
export function acknowledgeBucketSchedules(role: IRole, scheduleGroupName: string): void {
  const schedules = `arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${scheduleGroupName}/*`;
  Validations.of(role).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::${schedules}]`,
    reason:
      'Bucket schedules are created at runtime, one per minute of due delayed messages (<prefix>-release-<minute>), so scheduler:CreateSchedule is granted on schedules of the one delays schedule group only.',
  });
}
