import { Buffer } from 'node:buffer';
import {
  TRANSACTION_DECISIONS,
  type TransactionCheck,
  type TransactionDecision,
} from '../../core/ports/transaction-checker.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The JSON a checker receives (webhook body, Lambda event): the check with its body as text
 * when it is valid UTF-8, else base64, as received messages carry theirs.
 */
export function checkPayload(check: TransactionCheck): string {
  let body: { body: string; bodyEncoding: 'utf8' | 'base64' };
  try {
    body = { body: strictUtf8.decode(check.body), bodyEncoding: 'utf8' };
  } catch {
    body = {
      body: Buffer.from(check.body.buffer, check.body.byteOffset, check.body.byteLength).toString('base64'),
      bodyEncoding: 'base64',
    };
  }
  return JSON.stringify({
    transactionId: check.transactionId,
    msgId: check.msgId,
    topic: check.topic,
    producerGroup: check.producerGroup,
    checkAttempt: check.checkAttempt,
    ...body,
    ...(check.tag === undefined ? {} : { tag: check.tag }),
    keys: check.keys,
    properties: check.properties,
  });
}

/** Reads `{ decision }` from a checker's answer; anything else is UNKNOWN. */
export function decisionOf(answer: unknown): TransactionDecision {
  if (typeof answer !== 'object' || answer === null) return 'UNKNOWN';
  const decision = (answer as { decision?: unknown }).decision;
  return TRANSACTION_DECISIONS.find((known) => known === decision) ?? 'UNKNOWN';
}
