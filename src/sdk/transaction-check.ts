import type { TransactionCheckBody } from '../api/types.ts';
import { base64ToBytes } from './base64.ts';

/** A producer's answer to a check-back; UNKNOWN leaves the transaction to the next check. */
export type TransactionDecision = 'COMMIT' | 'ROLLBACK' | 'UNKNOWN';

/**
 * A check-back of an undecided transaction, from a webhook, a Lambda event or a poll.
 * @example
 * const decision = (await db.transferExists(check.keys[0])) ? 'COMMIT' : 'ROLLBACK';
 */
export class TransactionCheck {
  readonly transactionId: string;
  readonly msgId: string;
  readonly topic: string;
  readonly producerGroup: string;
  /** 1 for the first check-back. */
  readonly checkAttempt: number;
  readonly body: Uint8Array;
  readonly tag?: string;
  readonly keys: string[];
  readonly properties: Record<string, string>;

  constructor(wire: TransactionCheckBody) {
    this.transactionId = wire.transactionId;
    this.msgId = wire.msgId;
    this.topic = wire.topic;
    this.producerGroup = wire.producerGroup;
    this.checkAttempt = wire.checkAttempt;
    this.body = wire.bodyEncoding === 'base64' ? base64ToBytes(wire.body) : new TextEncoder().encode(wire.body);
    if (wire.tag !== undefined) this.tag = wire.tag;
    this.keys = wire.keys;
    this.properties = wire.properties;
  }

  /** The body as UTF-8 text. */
  text(): string {
    return new TextDecoder().decode(this.body);
  }
}

/** The header a webhook check's signature comes in: `t=<epoch ms>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'x-nimbus-signature';

export interface WebhookCheckOptions {
  /** The producer group's webhook secret. */
  secret: string;
  /** Decides a check: usually by looking the local transaction up in the producer's database. */
  check: (check: TransactionCheck) => Promise<TransactionDecision> | TransactionDecision;
  /** Refuse signatures older (or newer) than this, against replays. @default 300000 */
  toleranceMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/** What a webhook server answers the broker. */
export interface WebhookReply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/**
 * A webhook checker for any HTTP server (node:http, Express, a Lambda URL, a worker): give it
 * the raw request body and the signature header; it verifies the signature (WebCrypto
 * HMAC-SHA256 over `${t}.${body}`, constant time), runs `check`, and returns the reply.
 * A bad signature answers 401 and `check` is not called.
 * @example
 * const onCheck = webhookCheckHandler({ secret, check: async (c) => (await paid(c.keys[0]) ? 'COMMIT' : 'ROLLBACK') });
 * http.createServer(async (req, res) => {
 *   const reply = await onCheck(await readBody(req), req.headers['x-nimbus-signature']);
 *   res.writeHead(reply.status, reply.headers).end(reply.body);
 * });
 */
export function webhookCheckHandler(
  options: WebhookCheckOptions,
): (rawBody: string, signature: string | undefined) => Promise<WebhookReply> {
  return async (rawBody, signature) => {
    const valid = await verifyWebhookSignature(options.secret, rawBody, signature, {
      toleranceMs: options.toleranceMs,
      now: options.now,
    });
    if (!valid) return reply(401, { error: 'bad signature' });
    let check: TransactionCheck;
    try {
      check = new TransactionCheck(JSON.parse(rawBody) as TransactionCheckBody);
    } catch {
      return reply(400, { error: 'not a transaction check' });
    }
    return reply(200, { decision: await options.check(check) });
  };
}

/**
 * Whether `signature` (the `x-nimbus-signature` header) signs `rawBody` with `secret`, and is
 * recent enough.
 * @example
 * if (!(await verifyWebhookSignature(secret, rawBody, req.headers['x-nimbus-signature']))) return 401;
 */
export async function verifyWebhookSignature(
  secret: string,
  rawBody: string,
  signature: string | undefined,
  options: { toleranceMs?: number; now?: () => number } = {},
): Promise<boolean> {
  const match = /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(signature ?? '');
  if (!match) return false;
  const timestamp = Number(match[1]);
  const now = (options.now ?? Date.now)();
  if (Math.abs(now - timestamp) > (options.toleranceMs ?? 300_000)) return false;
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);
  const mac = hexToBytes(match[2] ?? '');
  // subtle.verify compares in constant time.
  return crypto.subtle.verify('HMAC', key, mac, encoder.encode(`${timestamp}.${rawBody}`));
}

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function reply(status: number, body: unknown): WebhookReply {
  return { status, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
}
