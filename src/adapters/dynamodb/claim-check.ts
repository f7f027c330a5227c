import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { NimbusError } from '../../core/errors.ts';
import { classifyError } from './errors.ts';

/**
 * Claim check for large bodies: DynamoDB items hold at most 400 KB, so bodies above the
 * threshold go to S3 under a key derived from the msgId, written before the segment that
 * points at them (a retried or re-reserved write puts the same object again, harmlessly).
 * Objects of messages that never got stored are left to the bucket's lifecycle rule.
 */
export interface ClaimCheckOptions {
  bucket: string;
  client?: S3Client;
  region?: string;
  endpoint?: string;
  /** Prefix of every object key (default `bodies/`). */
  keyPrefix?: string;
}

/**
 * The S3 endpoint the AWS SDK itself takes from the environment (AWS_ENDPOINT_URL_S3, else
 * AWS_ENDPOINT_URL, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true): the SDK applies it
 * but keeps virtual-hosted addressing, which only real S3 serves.
 */
export function s3EndpointFromEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  if (env['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS']?.toLowerCase() === 'true') return undefined;
  return env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || undefined;
}

export class ClaimCheck {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly keyPrefix: string;

  constructor(options: ClaimCheckOptions) {
    this.bucket = options.bucket;
    this.ownsClient = !options.client;
    const local = options.endpoint !== undefined && !process.env['AWS_ACCESS_KEY_ID'];
    this.client =
      options.client ??
      new S3Client({
        region: options.region,
        endpoint: options.endpoint,
        // Emulators (LocalStack, MinIO) serve buckets by path: `bucket.localhost` resolves nowhere.
        forcePathStyle: options.endpoint !== undefined || s3EndpointFromEnvironment() !== undefined,
        credentials: local ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined,
      });
    this.keyPrefix = options.keyPrefix ?? 'bodies/';
  }

  keyFor(topic: string, msgId: string): string {
    return `${this.keyPrefix}${topic}/${msgId}`;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.call('put', () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length })),
    );
  }

  async get(key: string): Promise<Uint8Array> {
    const out = await this.call('get', () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
    if (!out.Body) throw new NimbusError('STORE_UNAVAILABLE', `S3 object ${key} has no body.`);
    return out.Body.transformToByteArray();
  }

  /** Removes objects of swept messages (idempotent: deleting a missing key succeeds). */
  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      await this.call('delete', () =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      );
    }
  }

  /** Removes every object under a key prefix (a deleted topic's bodies). */
  async deletePrefix(prefix: string): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.call('list', () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token })),
      );
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
      if (keys.length > 0) await this.deleteMany(keys);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  close(): void {
    if (this.ownsClient) this.client.destroy();
  }

  /** S3 errors: throttling (503 SlowDown) and transient faults are retried a few times, then mapped. */
  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const kind = classifyError(error);
        const slowDown = (error as { name?: string }).name === 'SlowDown';
        if ((kind === 'throttled' || kind === 'transient' || slowDown) && attempt < 4) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * 2 ** attempt));
          continue;
        }
        throw new NimbusError(
          slowDown || kind === 'throttled' ? 'STORE_THROTTLED' : 'STORE_UNAVAILABLE',
          `S3 ${operation} in bucket ${this.bucket} failed: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
    }
  }
}
