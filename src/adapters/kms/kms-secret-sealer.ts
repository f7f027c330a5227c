import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';

export interface KmsSecretSealerOptions {
  /** ARN (or id or alias) of the symmetric customer-managed key. */
  keyId: string;
  /** A ready client; otherwise one from the SDK's defaults (AWS_ENDPOINT_URL_KMS, region, credentials). */
  client?: KMSClient;
  /** How long an opened secret is kept in memory (default 5 minutes). */
  cacheMs?: number;
  now?: () => number;
}

const DEFAULT_CACHE_MS = 5 * 60_000;
/** Producer groups of one deployment are few; the bound only keeps a mistake from growing memory. */
const MAX_CACHED = 1_000;

/**
 * Seals secrets with KMS Encrypt under an encryption context (KMS refuses to decrypt with
 * any other context) and opens them with Decrypt. Plaintexts of opened secrets are cached
 * briefly: every webhook call signs with its group's secret, and a Decrypt per call would
 * add latency, cost and KMS request quota for nothing. Secrets are never logged.
 * @example
 * const sealer = new KmsSecretSealer({ keyId: process.env.NIMBUS_SECRET_KEY_ARN });
 * const sealed = await sealer.seal(secret, { producerGroup: 'payments' });
 */
export class KmsSecretSealer {
  private readonly client: KMSClient;
  private readonly keyId: string;
  private readonly cacheMs: number;
  private readonly now: () => number;
  private readonly opened = new Map<string, { secret: string; until: number }>();

  constructor(options: KmsSecretSealerOptions) {
    this.client = options.client ?? new KMSClient({});
    this.keyId = options.keyId;
    this.cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    this.now = options.now ?? Date.now;
  }

  async seal(secret: string, context: Record<string, string>): Promise<string> {
    const output = await this.client.send(
      new EncryptCommand({
        KeyId: this.keyId,
        Plaintext: new TextEncoder().encode(secret),
        EncryptionContext: context,
      }),
    );
    if (!output.CiphertextBlob) throw new Error('KMS Encrypt returned no ciphertext.');
    return Buffer.from(output.CiphertextBlob).toString('base64');
  }

  async open(sealed: string, context: Record<string, string>): Promise<string> {
    const cacheKey = `${sealed}\n${JSON.stringify(Object.entries(context).sort())}`;
    const cached = this.opened.get(cacheKey);
    if (cached && cached.until > this.now()) return cached.secret;
    // KeyId pins the key: a ciphertext of another key in the account is refused, not decrypted.
    const output = await this.client.send(
      new DecryptCommand({
        KeyId: this.keyId,
        CiphertextBlob: Buffer.from(sealed, 'base64'),
        EncryptionContext: context,
      }),
    );
    if (!output.Plaintext) throw new Error('KMS Decrypt returned no plaintext.');
    const secret = new TextDecoder().decode(output.Plaintext);
    if (this.opened.size >= MAX_CACHED) this.opened.clear();
    this.opened.set(cacheKey, { secret, until: this.now() + this.cacheMs });
    return secret;
  }
}
