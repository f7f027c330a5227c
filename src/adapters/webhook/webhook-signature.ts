import { createHmac } from 'node:crypto';

/** The header that carries a check's signature: `t=<epoch ms>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'x-nimbus-signature';

/**
 * Signs a webhook body: HMAC-SHA256 with the group's secret over `${timestamp}.${body}`.
 * The timestamp is signed too, so a receiver can refuse replays of old checks.
 * @example
 * headers[SIGNATURE_HEADER] = signatureHeader(secret, Date.now(), body);
 */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}
