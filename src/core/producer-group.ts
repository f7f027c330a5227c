import { NimbusError } from './errors.ts';
import { assertGroupName } from './limits.ts';

/**
 * How the broker asks a producer group about a transaction it has not decided: a signed
 * webhook, a Lambda function, or nobody (`poll`: producers fetch the checks themselves).
 */
export type CheckerConfig =
  | { type: 'webhook'; url: string; secret: string }
  | { type: 'lambda'; functionArn: string }
  | { type: 'poll' };

/** A registered producer group of transactional messages, with its check-back schedule. */
export interface ProducerGroup {
  name: string;
  checker: CheckerConfig;
  /** No decision this long after the half message: the first check-back. */
  firstCheckAfterMs: number;
  /** Then one check-back every this long. */
  checkIntervalMs: number;
  /** After this many check-backs without a decision the transaction is rolled back. */
  maxChecks: number;
  createdAt: number;
}

export interface ProducerGroupInput {
  checker: CheckerConfig;
  firstCheckAfterMs?: number;
  checkIntervalMs?: number;
  maxChecks?: number;
}

/** RocketMQ's defaults: first check after 6 s, then every 30 s, 15 checks at most. */
export const PRODUCER_GROUP_DEFAULTS = { firstCheckAfterMs: 6_000, checkIntervalMs: 30_000, maxChecks: 15 } as const;
export const PRODUCER_GROUP_BOUNDS = {
  minCheckMs: 1_000,
  maxCheckMs: 86_400_000,
  maxMaxChecks: 100,
  minSecretLength: 16,
  maxSecretLength: 256,
} as const;

/** A Lambda function name, or its (optionally qualified) ARN. */
const FUNCTION_ARN =
  /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;

/**
 * Validates a registration and fills in the defaults. A webhook must be HTTPS unless it is
 * on this machine: the check carries the message body and the signature proves only who
 * sent it, not that nobody read it on the way.
 * @example
 * const group = producerGroupFrom('payments', { checker: { type: 'poll' } }, Date.now());
 */
export function producerGroupFrom(name: string, input: ProducerGroupInput, createdAt: number): ProducerGroup {
  assertGroupName(name);
  const firstCheckAfterMs = checkTime(
    input.firstCheckAfterMs,
    PRODUCER_GROUP_DEFAULTS.firstCheckAfterMs,
    'firstCheckAfterMs',
  );
  const checkIntervalMs = checkTime(input.checkIntervalMs, PRODUCER_GROUP_DEFAULTS.checkIntervalMs, 'checkIntervalMs');
  const maxChecks = input.maxChecks ?? PRODUCER_GROUP_DEFAULTS.maxChecks;
  if (!Number.isInteger(maxChecks) || maxChecks < 1 || maxChecks > PRODUCER_GROUP_BOUNDS.maxMaxChecks) {
    throw invalid(`maxChecks must be an integer from 1 to ${PRODUCER_GROUP_BOUNDS.maxMaxChecks}.`);
  }
  return { name, checker: validChecker(input.checker), firstCheckAfterMs, checkIntervalMs, maxChecks, createdAt };
}

function checkTime(value: number | undefined, fallback: number, field: string): number {
  const ms = value ?? fallback;
  const { minCheckMs, maxCheckMs } = PRODUCER_GROUP_BOUNDS;
  if (!Number.isInteger(ms) || ms < minCheckMs || ms > maxCheckMs) {
    throw invalid(`${field} must be an integer from ${minCheckMs} to ${maxCheckMs} (ms).`);
  }
  return ms;
}

function validChecker(checker: CheckerConfig): CheckerConfig {
  switch (checker.type) {
    case 'poll':
      return { type: 'poll' };
    case 'lambda':
      if (!FUNCTION_ARN.test(checker.functionArn)) {
        throw invalid('checker.functionArn must be a Lambda function name or ARN.');
      }
      return { type: 'lambda', functionArn: checker.functionArn };
    case 'webhook': {
      assertWebhookUrl(checker.url);
      const { minSecretLength, maxSecretLength } = PRODUCER_GROUP_BOUNDS;
      if (checker.secret.length < minSecretLength || checker.secret.length > maxSecretLength) {
        throw invalid(`checker.secret must be ${minSecretLength} to ${maxSecretLength} characters.`);
      }
      return { type: 'webhook', url: checker.url, secret: checker.secret };
    }
  }
}

/** HTTPS, or plain HTTP to a loopback address; no credentials in the URL. */
export function assertWebhookUrl(text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('checker.url is not a valid URL.');
  }
  if (url.username !== '' || url.password !== '') throw invalid('checker.url must not carry credentials.');
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return;
  throw invalid('checker.url must be https (plain http only to localhost, 127.0.0.0/8 or [::1]).');
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function invalid(message: string): NimbusError {
  return new NimbusError('INVALID_ARGUMENT', message);
}
