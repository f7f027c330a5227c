import { Buffer } from 'node:buffer';
import type {
  TransactionCheck,
  TransactionChecker,
  TransactionDecision,
} from '../../core/ports/transaction-checker.ts';
import type { ProducerGroup } from '../../core/producer-group.ts';
import { checkPayload, decisionOf } from './check-payload.ts';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature.ts';

export interface WebhookCheckerOptions {
  /** Longest wait for an answer; a slower checker counts as UNKNOWN. @default 5000 */
  timeoutMs?: number;
  /** Wall-clock time of the signature. @default Date.now */
  now?: () => number;
}

/** Largest answer read from a checker; `{ "decision": "ROLLBACK" }` needs a few dozen bytes. */
const MAX_ANSWER_BYTES = 4_096;

/**
 * Checks transactions by POSTing a signed JSON check to the producer group's webhook. The
 * answer `{ decision }` decides; a timeout, a non-2xx status, a redirect or an unreadable
 * answer is UNKNOWN (asked again at the next check). The secret only signs: it is never sent
 * nor logged.
 * @example
 * const checker = new WebhookChecker({ timeoutMs: 3_000 });
 * const decision = await checker.check(group, check);
 */
export class WebhookChecker implements TransactionChecker {
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(options: WebhookCheckerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  async check(group: ProducerGroup, check: TransactionCheck): Promise<TransactionDecision> {
    const { checker } = group;
    if (checker.type !== 'webhook') return 'UNKNOWN';
    const body = checkPayload(check);
    try {
      const response = await fetch(checker.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signatureHeader(checker.secret, this.now(), body),
        },
        body,
        // A redirect could lead from an https URL to plain http elsewhere: not followed.
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!response.ok) {
        await response.body?.cancel();
        return 'UNKNOWN';
      }
      const text = await readAtMost(response, MAX_ANSWER_BYTES);
      return text === undefined ? 'UNKNOWN' : decisionOf(JSON.parse(text));
    } catch {
      return 'UNKNOWN';
    }
  }
}

/**
 * The answer's text, or undefined past `limit` bytes: read chunk by chunk and cut off there,
 * so a webhook streaming an endless or huge answer costs neither memory nor the whole timeout.
 */
async function readAtMost(response: Response, limit: number): Promise<string | undefined> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
