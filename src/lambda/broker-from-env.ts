import { openDynamoDbStore, type ProducerSecretOptions } from '../adapters/dynamodb/index.ts';
import { KmsSecretSealer } from '../adapters/kms/index.ts';
import { InProcessNotifier } from '../adapters/system/in-process-notifier.ts';
import { randomIds, systemClock } from '../adapters/system/system-clock.ts';
import { systemTimers } from '../adapters/system/system-timers.ts';
import { type Broker, createBroker } from '../core/broker.ts';
import { awsReleaseScheduler, delaySettings } from './delayed-delivery-env.ts';
import { beforeInvocationEnds } from './invocation-end.ts';
import { sealedOffsets } from './sealed-offsets.ts';
import { type CheckBackSettings, checkBackSettings, transactionDeps } from './transaction-check-back-env.ts';

/** What the stack tells every function through its environment. */
export interface LambdaSettings {
  /** Tables are `<prefix>-messages`, `<prefix>-state`, `<prefix>-index`. */
  tablePrefix: string;
  /** Claim-check bucket for large bodies. */
  bodyBucket: string;
  /**
   * The KMS key that seals producer groups' webhook secrets: set only on the functions that
   * register producer groups (Encrypt) and call webhooks (Decrypt).
   */
  secretKeyArn?: string;
}

/**
 * Reads the settings the stack sets (NIMBUS_TABLE_PREFIX, NIMBUS_BODY_BUCKET, and
 * NIMBUS_SECRET_KEY_ARN where secrets are sealed or opened). DynamoDB, S3 and KMS endpoints follow the AWS SDK's own variables (AWS_ENDPOINT_URL_DYNAMODB, ...), which is
 * how the tests point the functions at DynamoDB Local.
 */
export function lambdaSettings(env: Readonly<Record<string, string | undefined>> = process.env): LambdaSettings {
  const tablePrefix = env['NIMBUS_TABLE_PREFIX'];
  const bodyBucket = env['NIMBUS_BODY_BUCKET'];
  if (!tablePrefix || !bodyBucket) {
    throw new Error('NIMBUS_TABLE_PREFIX and NIMBUS_BODY_BUCKET must be set (the stack sets both on every function).');
  }
  const secretKeyArn = env['NIMBUS_SECRET_KEY_ARN'];
  return { tablePrefix, bodyBucket, ...(secretKeyArn ? { secretKeyArn } : {}) };
}

/**
 * Webhook secrets sealed with the stack's KMS key; opened on read only by the function that
 * calls checkers (the one granted kms:Decrypt). Functions without the key read sealed secrets
 * as withheld and store new ones as given; the stack gives the key to every function that
 * registers producer groups.
 */
export function producerSecrets(
  settings: LambdaSettings,
  checkBack: CheckBackSettings,
): ProducerSecretOptions | undefined {
  if (!settings.secretKeyArn) return undefined;
  return { sealer: new KmsSecretSealer({ keyId: settings.secretKeyArn }), openOnRead: checkBack.callsCheckers };
}

/**
 * A broker over the DynamoDB store. Receivers in other containers are not signalled, so a
 * long-poll checks the store every `pollIntervalMs`. Offsets its readers seal are counted
 * for the `SealedOffsets` metric (observability.ts).
 * @example
 * const broker = await openLambdaBroker(lambdaSettings());
 */
export async function openLambdaBroker(settings: LambdaSettings): Promise<Broker> {
  const checkBack = checkBackSettings();
  const secrets = producerSecrets(settings, checkBack);
  const store = await openDynamoDbStore({
    tablePrefix: settings.tablePrefix,
    ...(secrets ? { secrets } : {}),
    s3: { bucket: settings.bodyBucket },
    hooks: { onSeal: sealedOffsets.record },
  });
  // Functions that hold delayed messages arrange their wake-up (SQS delay or a bucket schedule).
  const delays = delaySettings();
  const broker = createBroker({
    ...(delays ? { releaseScheduler: awsReleaseScheduler(delays, () => systemClock.now()) } : {}),
    ...transactionDeps(checkBack, () => systemClock.now()),
    timers: systemTimers,
    store,
    clock: systemClock,
    ids: randomIds(),
    notifier: new InProcessNotifier(),
    pollIntervalMs: 500,
  });
  beforeInvocationEnds(() => broker.tracer.settled());
  return broker;
}

let shared: Promise<Broker> | undefined;

/**
 * The container's broker: built on first use and kept for the container's life, so warm
 * invocations reuse clients, connections and the catalog cache. A failed start is retried
 * by the next invocation.
 */
export function sharedBroker(): Promise<Broker> {
  if (!shared) {
    shared = Promise.resolve()
      .then(() => openLambdaBroker(lambdaSettings()))
      .catch((error: unknown) => {
        shared = undefined;
        throw error;
      });
  }
  return shared;
}
