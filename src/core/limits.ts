import { NimbusError } from './errors.ts';

/** The limits of DESIGN.md §1. Each violation has its own error code and stores nothing. */
export const LIMITS = {
  nameMaxLength: 64,
  maxBodyBytes: 4 * 1024 * 1024,
  maxDelayedBodyBytes: 64 * 1024,
  /** How far ahead a delayed/scheduled message may be due: 40 days. */
  maxDelayMs: 40 * 24 * 3_600_000,
  maxProperties: 128,
  maxMetaBytes: 16 * 1024,
  maxTagLength: 128,
  /** A subscription's tag expression, in characters (each tag in it follows the tag rules). */
  maxTagExpressionLength: 1024,
  maxKeyLength: 128,
  maxMessageIdLength: 128,
  maxBatchMessages: 32,
  maxBatchBytes: 4 * 1024 * 1024,
  maxQueueCount: 64,
  defaultQueueCount: 8,
  maxRetentionMs: 72 * 3_600_000,
  minRetentionMs: 3_600_000,
  maxClientIdLength: 128,
  maxReceiveMessages: 32,
  maxWaitMs: 20_000,
  minInvisibleMs: 10_000,
  maxInvisibleMs: 12 * 3_600_000,
  defaultInvisibleMs: 30_000,
  defaultMaxDeliveryAttempts: 16,
  maxMaxDeliveryAttempts: 1000,
  maxNackDelayMs: 2 * 3_600_000,
  maxSubscriptions: 64,
} as const;

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function assertTopicName(name: string): void {
  if (!NAME.test(name)) {
    throw new NimbusError(
      'INVALID_TOPIC_NAME',
      `Topic name "${truncate(name)}" must be 1-64 characters of A-Z, a-z, 0-9, _ and - (% is reserved for system topics).`,
    );
  }
}

export function assertGroupName(name: string): void {
  if (!NAME.test(name)) {
    throw new NimbusError(
      'INVALID_GROUP_NAME',
      `Group name "${truncate(name)}" must be 1-64 characters of A-Z, a-z, 0-9, _ and - (% is reserved for system groups).`,
    );
  }
}

const CLIENT_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

export function assertClientId(clientId: string): void {
  if (!CLIENT_ID.test(clientId)) {
    throw new NimbusError('INVALID_CLIENT_ID', 'clientId must be 1-128 characters of A-Z, a-z, 0-9 and _ . : @ -.');
  }
}

/**
 * Tags are single tokens: no whitespace, no control characters, no `|` (the separator of
 * tag expressions) and no `*`. Subscriptions' tag expressions use the same rule per tag.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const TAG = /^[^\s|*\u0000-\u001f\u007f]{1,128}$/u;

/** True when `tag` is a valid tag: the one rule for message tags and the tags of expressions. */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag) && tag.isWellFormed();
}

export function assertTag(tag: string): void {
  if (!isValidTag(tag)) {
    throw new NimbusError(
      'INVALID_TAG',
      'A tag is 1-128 characters without whitespace, "|" or "*"; one tag per message.',
    );
  }
}

export function assertMessageMeta(input: {
  tag?: string;
  keys: string[];
  properties: Record<string, string>;
  messageId?: string;
}): void {
  if (input.tag !== undefined) assertTag(input.tag);
  for (const key of input.keys) {
    if (!withinCodePoints(key, LIMITS.maxKeyLength) || /\s/u.test(key) || !key.isWellFormed()) {
      throw new NimbusError('INVALID_KEY', `Message keys are 1-${LIMITS.maxKeyLength} characters without whitespace.`);
    }
  }
  if (input.messageId !== undefined) {
    const { messageId } = input;
    // A leading `%` is reserved, as in names: the broker keys its own idempotent steps that way.
    if (
      !withinCodePoints(messageId, LIMITS.maxMessageIdLength) ||
      !messageId.isWellFormed() ||
      messageId.startsWith('%')
    ) {
      throw new NimbusError(
        'INVALID_MESSAGE_ID',
        `messageId is 1-${LIMITS.maxMessageIdLength} characters of text, not starting with "%" (reserved).`,
      );
    }
  }
  const names = Object.keys(input.properties);
  if (names.length > LIMITS.maxProperties) {
    throw new NimbusError(
      'TOO_MANY_PROPERTIES',
      `A message has at most ${LIMITS.maxProperties} properties (got ${names.length}).`,
    );
  }
  let bytes = utf8Length(input.tag ?? '');
  for (const key of input.keys) bytes += utf8Length(key);
  for (const name of names) {
    const value = input.properties[name];
    if (name.length === 0 || typeof value !== 'string' || !name.isWellFormed() || !value.isWellFormed()) {
      throw new NimbusError('INVALID_PROPERTY', 'Property names are non-empty and values are strings (valid Unicode).');
    }
    if (name === RESERVED_PROPERTY) throw reservedProperty();
    bytes += utf8Length(name) + utf8Length(value);
  }
  if (bytes > LIMITS.maxMetaBytes) {
    throw new NimbusError(
      'PROPERTIES_TOO_LARGE',
      `Properties, keys and tag together are at most ${LIMITS.maxMetaBytes} bytes (got ${bytes}).`,
    );
  }
}

/** A property JSON readers turn into an object's prototype instead of keeping it: refused, never dropped. */
const RESERVED_PROPERTY = '__proto__';

export function reservedProperty(): NimbusError {
  return new NimbusError('INVALID_PROPERTY', `"${RESERVED_PROPERTY}" is reserved and cannot be a property name.`);
}

/** True when a raw (just JSON-parsed) properties object carries the reserved name. */
export function hasReservedProperty(properties: unknown): boolean {
  return typeof properties === 'object' && properties !== null && Object.hasOwn(properties, RESERVED_PROPERTY);
}

export function assertBody(body: Uint8Array, maxBytes: number): void {
  if (body.byteLength === 0) throw new NimbusError('EMPTY_BODY', 'A message body must not be empty.');
  if (body.byteLength > maxBytes) {
    throw new NimbusError('BODY_TOO_LARGE', `Body is ${body.byteLength} bytes; the limit is ${maxBytes} bytes.`);
  }
}

/**
 * True when `text` has 1 to `max` characters, counted in code points (an emoji is one), the
 * way JSON Schema's `maxLength` counts, so the published limits and the broker's agree.
 */
export function withinCodePoints(text: string, max: number): boolean {
  if (text.length === 0) return false;
  if (text.length <= max) return true;
  // Each code point is one or two UTF-16 units: more than twice the limit is over it for sure.
  if (text.length > 2 * max) return false;
  let count = 0;
  for (const _ of text) if (++count > max) return false;
  return true;
}

const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  // Fast path: ASCII strings are one byte per character.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: deliberate ASCII range check
  return /^[\x00-\x7f]*$/.test(text) ? text.length : encoder.encode(text).byteLength;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
