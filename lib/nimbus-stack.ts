import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { NimbusMq, type NimbusMqProps } from './nimbus-mq.ts';

export interface NimbusStackProps extends StackProps {
  /** RETAIN (default) keeps tables and bucket after `cdk destroy`; DESTROY removes them. */
  removalPolicy?: RemovalPolicy;
  /** See NimbusMqProps. @default DEFAULT_RESERVED_CONCURRENCY */
  reservedConcurrency?: NimbusMqProps['reservedConcurrency'];
}

/** The deployable Nimbus MQ: the construct plus the outputs `cdk deploy` prints. */
export class NimbusStack extends Stack {
  readonly mq: NimbusMq;

  constructor(scope: Construct, id: string, props: NimbusStackProps = {}) {
    super(scope, id, props);
    this.mq = new NimbusMq(this, 'Nimbus', {
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      reservedConcurrency: props.reservedConcurrency,
    });
    new CfnOutput(this, 'ApiUrl', {
      value: this.mq.apiUrl,
      description: 'Nimbus MQ HTTPS endpoint (IAM / SigV4): NIMBUS_ENDPOINT for the SDK and CLI',
    });
    new CfnOutput(this, 'DashboardName', { value: this.mq.monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'BodyBucketName', { value: this.mq.bodyBucket.bucketName });
  }
}
