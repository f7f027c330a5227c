import type { ProducerGroup } from '../../core/producer-group.ts';

/**
 * Encrypts and decrypts a secret bound to a context (a KMS key on AWS, see
 * src/adapters/kms). The context is not secret but must match on `open`: a sealed value
 * copied to another record fails to open.
 */
export interface SecretSealer {
  /** The sealed form of `secret`, as text to store. */
  seal(secret: string, context: Record<string, string>): Promise<string>;
  /** The secret again; rejects when `sealed` was sealed under another context or key. */
  open(sealed: string, context: Record<string, string>): Promise<string>;
}

/**
 * Webhook secrets of producer groups, sealed before they are stored. Without this option
 * they are stored as given (protected only by the table's encryption at rest).
 */
export interface ProducerSecretOptions {
  sealer: SecretSealer;
  /**
   * Whether reads open sealed secrets: only where webhooks are called (check-back). Elsewhere
   * a sealed secret reads as the empty string, which no registration can have (16 characters
   * at least), so nothing can sign with it unnoticed and no decrypt permission is needed.
   */
  openOnRead: boolean;
}

/** The encryption-context key naming the producer group (the stack's key grants require it). */
export const SECRET_CONTEXT_KEY = 'producerGroup';

/** What a sealed webhook secret is bound to: the producer group that owns it. */
export function secretContext(group: string): Record<string, string> {
  return { [SECRET_CONTEXT_KEY]: group };
}

/** A producer group as stored: JSON without the webhook secret, and the sealed secret apart. */
export interface StoredProducerGroup {
  json: string;
  sealedSecret?: string;
}

/**
 * The stored form. With a sealer the webhook secret leaves the JSON and is sealed under its
 * group's context; without one the record is what it always was.
 * @example
 * const stored = await storedProducerGroup(group, sealer); // { json, sealedSecret }
 */
export async function storedProducerGroup(
  group: ProducerGroup,
  sealer: SecretSealer | undefined,
): Promise<StoredProducerGroup> {
  const { checker } = group;
  if (!sealer || checker.type !== 'webhook') return { json: JSON.stringify(group) };
  const { secret, ...withoutSecret } = checker;
  const sealedSecret = await sealer.seal(secret, secretContext(group.name));
  return { json: JSON.stringify({ ...group, checker: withoutSecret }), sealedSecret };
}

/**
 * The group again. A record with no sealed secret (also one written before secrets were
 * sealed) is read as it is: its secret, if any, is in the JSON.
 */
export async function producerGroupFromStored(
  stored: StoredProducerGroup,
  secrets: ProducerSecretOptions | undefined,
): Promise<ProducerGroup> {
  const group = JSON.parse(stored.json) as ProducerGroup;
  if (stored.sealedSecret === undefined || group.checker.type !== 'webhook') return group;
  const secret = secrets?.openOnRead
    ? await secrets.sealer.open(stored.sealedSecret, secretContext(group.name))
    : WITHHELD_SECRET;
  return { ...group, checker: { ...group.checker, secret } };
}

/** A sealed secret read where secrets are not opened. */
export const WITHHELD_SECRET = '';
