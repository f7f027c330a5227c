import type { StoredMessage } from '../../core/model.ts';
import { num } from './attributes.ts';
import type { Item } from './gateway.ts';
import { decodeHeld, STATE, storedState } from './held-requests.ts';

/** Small readings of held records shared by the held-message operations (pure). */

export function releasedMessage(item: Item): StoredMessage {
  const held = decodeHeld(item);
  return {
    ...held.message,
    queueOffset: num(item, 'o') ?? 0,
    storeTimestamp: num(item, 'ot') ?? num(item, 'rt') ?? held.message.storeTimestamp,
  };
}

/** The appended message carries the release's idempotency key; callers see the client's messageId (or none). */
export function withClientMessageId(message: StoredMessage, messageId: string | undefined): StoredMessage {
  const { messageId: _releaseKey, ...rest } = message;
  return messageId === undefined ? rest : { ...rest, messageId };
}

/** HELD, or RELEASING (a release under way is still pending to the outside). */
export function pending(item: Item): boolean {
  const state = storedState(item);
  return state === STATE.held || state === STATE.releasing;
}

export function expired(item: Item, now: number): boolean {
  return (num(item, 'e') ?? Number.POSITIVE_INFINITY) <= now;
}

export function keyOf(item: Item): Item {
  return { p: item['p'] as Item[string], s: item['s'] as Item[string] };
}

export function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
