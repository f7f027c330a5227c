import type { ReceivedMessage, StoredMessage } from './model.ts';
import type { Lease } from './ports/store.ts';
import { encodeReceiptHandle } from './receipt-handle.ts';
import type { TraceEmission } from './tracer.ts';

/* One receive's pass over a lane's subscriptions: what it handed out and what it may still take. */

/** What one pass over a lane's subscriptions found, and whether it moved any cursor. */
export interface Pass {
  messages: ReceivedMessage[];
  progressed: boolean;
  /** Offsets and leases this pass may still examine. */
  budget: number;
  /** Body bytes of `messages`, and the most they may reach (see ReceiveOptions.maxBodyBytes). */
  bodyBytes: number;
  maxBodyBytes: number;
  /** A message did not fit into maxBodyBytes: the pass hands out what it has. */
  full: boolean;
  /** Trace events of leases the pass disposed of or redelivered (the receive emits them). */
  events?: TraceEmission[];
}

/** Whether one more message with this body still fits into the pass (the first one always does). */
export function fits(pass: Pass, pendingCount: number, pendingBytes: number, body: Uint8Array): boolean {
  if (pass.messages.length + pendingCount === 0) return true;
  return pass.bodyBytes + pendingBytes + body.length <= pass.maxBodyBytes;
}

export function hand(pass: Pass, message: ReceivedMessage): void {
  pass.messages.push(message);
  pass.bodyBytes += message.body.length;
}

export function toReceived(message: StoredMessage, lease: Lease): ReceivedMessage {
  return {
    ...message,
    deliveryAttempt: lease.attempt,
    invisibleUntil: lease.visibleAt,
    receiptHandle: encodeReceiptHandle({ ...lease }),
  };
}
