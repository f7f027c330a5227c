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
      const text = await response.text();
      return text.length > MAX_ANSWER_BYTES ? 'UNKNOWN' : decisionOf(JSON.parse(text));
    } catch {
      return 'UNKNOWN';
    }
  }
}
