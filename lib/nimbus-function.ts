import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_BUNDLING, type FunctionName, PREBUNDLED_HANDLERS_DIR } from './function-bundling.ts';

/** The repository root (functions/ and the lock file), or the installed CDK package's root. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

/** The handler shipped pre-bundled in the installed CDK package; absent in the repository. */
function prebundledHandler(name: FunctionName): string | undefined {
  const dir = path.join(PROJECT_ROOT, PREBUNDLED_HANDLERS_DIR, name);
  return existsSync(path.join(dir, 'index.mjs')) ? dir : undefined;
}

export interface NimbusFunctionProps {
  /** The handler file `functions/<name>.ts`. */
  name: FunctionName;
  description: string;
  timeout: Duration;
  memorySize?: number;
  environment: Record<string, string>;
  /** The deployment's metric namespace (metricsNamespace() in monitoring.ts), where its alarms look. */
  metricsNamespace: string;
  /** Asynchronously invoked functions (schedules): where events go after the last retry. */
  deadLetterQueue?: IQueue;
  /** Concurrency reserved for (and the most allowed to) this function. @default none: the account's unreserved pool */
  reservedConcurrentExecutions?: number;
  /** Retries of a failed asynchronous invocation (Lambda's default is 2). */
  retryAttempts?: number;
  logRetention?: RetentionDays;
  removalPolicy?: RemovalPolicy;
  /**
   * Shell commands run after esbuild bundled the handler into `outputDir`, for files the
   * handler reads beside its bundle. The installed CDK package ships them pre-built instead.
   */
  afterBundling?: (outputDir: string) => string[];
}

/**
 * One function of `functions/`: Node 24 on arm64, bundled locally by esbuild (no Docker), or
 * taken as shipped pre-bundled in the installed CDK package,
 * with its own log group and its own role. The role starts empty except for writing its
 * logs; the stack grants each function exactly the data access it needs.
 */
export class NimbusFunction extends Construct {
  readonly function: LambdaFunction;
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
    const common = {
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
        // Per deployment, so that two deployments in one account and region keep their metrics apart.
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.retryAttempts,
    };
    const prebundled = prebundledHandler(props.name);
    this.function = prebundled
      ? new LambdaFunction(this, 'Function', { ...common, code: Code.fromAsset(prebundled), handler: 'index.handler' })
      : new NodejsFunction(this, 'Function', {
          ...common,
          entry: path.join(PROJECT_ROOT, 'functions', `${props.name}.ts`),
          projectRoot: PROJECT_ROOT,
          depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
          handler: 'handler',
          bundling: {
            forceDockerBundling: false,
            format: OutputFormat.ESM,
            target: FUNCTION_BUNDLING.target,
            minify: FUNCTION_BUNDLING.minify,
            mainFields: [...FUNCTION_BUNDLING.mainFields],
            externalModules: [...FUNCTION_BUNDLING.external],
            banner: FUNCTION_BUNDLING.banner,
            commandHooks: props.afterBundling && {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (_inputDir, outputDir) => props.afterBundling?.(outputDir) ?? [],
            },
          },
        });
  }
}
