import path from 'node:path';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_BUNDLING, type FunctionName } from './function-bundling.ts';

/** The repository root: functions/ and the lock file are found from here. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

export interface NimbusFunctionProps {
  /** The handler file `functions/<name>.ts`. */
  name: FunctionName;
  description: string;
  timeout: Duration;
  memorySize?: number;
  environment: Record<string, string>;
  /** Asynchronously invoked functions (schedules): where events go after the last retry. */
  deadLetterQueue?: IQueue;
  /** Concurrency reserved for (and the most allowed to) this function. @default none: the account's unreserved pool */
  reservedConcurrentExecutions?: number;
  /** Retries of a failed asynchronous invocation (Lambda's default is 2). */
  retryAttempts?: number;
  logRetention?: RetentionDays;
  removalPolicy?: RemovalPolicy;
}

/**
 * One function of `functions/`: Node 24 on arm64, bundled locally by esbuild (no Docker),
 * with its own log group and its own role. The role starts empty except for writing its
 * logs; the stack grants each function exactly the data access it needs.
 */
export class NimbusFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: NimbusFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    // An explicit role instead of the managed AWSLambdaBasicExecutionRole: logs go to this group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Nimbus MQ ${props.name} function`,
    });
    this.logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, 'functions', `${props.name}.ts`),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'nimbus-mq',
        POWERTOOLS_METRICS_NAMESPACE: 'NimbusMQ',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.retryAttempts,
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: FUNCTION_BUNDLING.target,
        minify: FUNCTION_BUNDLING.minify,
        mainFields: [...FUNCTION_BUNDLING.mainFields],
        externalModules: [...FUNCTION_BUNDLING.external],
        banner: FUNCTION_BUNDLING.banner,
      },
    });
  }
}
