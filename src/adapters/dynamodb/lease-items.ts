import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Lease, LeaseKey } from '../../core/ports/store.ts';
import { N, num, requireNum, requireStr, S, str, ttlSeconds } from './attributes.ts';
import type { Item } from './gateway.ts';
import { batchItemId, leasePartition, leaseSortKey } from './keys.ts';
import { LEASE_LIFETIME_MS } from './options.ts';

/**
 * One lease item per received batch: all leases of a claim share a batchId and live in one
 * item as a map `l` of offset -> {a: attempt, v: visibleAt, t: token, i: msgId, g: message
 * group of orderly lanes, when there is one} (token and msgId compacted, see compactText). The
 * top-level `mv` is never above the earliest `v` (it may lag below it after an ack or an
 * extension; readers repair it) and keys the due-leases index; `ver` counts changes so
 * repairs can be conditional on nothing having moved.
 */

export interface LeaseEntry {
  attempt: number;
  visibleAt: number;
  token: string;
  msgId: string;
  messageGroup?: string;
}

export function leaseItemKey(key: Pick<LeaseKey, 'consumer' | 'topic' | 'queueId' | 'batchId'>): Item {
  // A claim's batchId also carries the batch size; the item's key is the same without it.
  return { p: S(leasePartition(key.consumer, key.topic)), s: S(leaseSortKey(key.queueId, batchItemId(key.batchId))) };
}

export function entryValue(entry: LeaseEntry): AttributeValue {
  const value: Record<string, AttributeValue> = {
    a: N(entry.attempt),
    v: N(entry.visibleAt),
    t: compactText(entry.token),
    i: compactText(entry.msgId),
  };
  if (entry.messageGroup !== undefined) value['g'] = S(entry.messageGroup);
  return { M: value };
}

const HEX_ID = /^[0-9A-F]{32}$/;
const BASE64URL_12 = /^[A-Za-z0-9_-]{16}$/;

/**
 * Tokens and msgIds as the fewest bytes that give them back exactly: the system id
 * generator's 32 hex digits as 16 raw bytes, its 16-character base64url tokens as 12.
 * Anything else stays a string. Conditions compare compacted values with compacted values.
 * A 32-entry lease item then fits 2 KB (2 WCU) instead of 3.
 */
export function compactText(text: string): AttributeValue {
  if (HEX_ID.test(text)) return { B: Buffer.from(text, 'hex') };
  if (BASE64URL_12.test(text)) {
    const bytes = Buffer.from(text, 'base64url');
    // Only the canonical form round-trips (the last character carries no spare bits then).
    if (bytes.toString('base64url') === text) return { B: Uint8Array.of(0, ...bytes) };
  }
  return { S: text };
}

export function expandText(value: AttributeValue | undefined): string {
  if (value?.S !== undefined) return value.S;
  const bytes = value?.B;
  if (!bytes) return '';
  // 16 bytes: a hex msgId; a leading 0 then 12 bytes: a base64url token.
  if (bytes.byteLength === 16) return Buffer.from(bytes).toString('hex').toUpperCase();
  return Buffer.from(bytes.subarray(1)).toString('base64url');
}

/** A new lease item holding `leases` (all of one lane, queue and batch). */
export function newLeaseItem(leases: readonly Lease[]): Item {
  const first = leases[0];
  if (!first) throw new Error('A lease item needs at least one lease.');
  const entries: Record<string, AttributeValue> = {};
  for (const lease of leases) entries[String(lease.queueOffset)] = entryValue(lease);
  const earliest = Math.min(...leases.map((lease) => lease.visibleAt));
  const latest = Math.max(...leases.map((lease) => lease.visibleAt));
  return {
    ...leaseItemKey(first),
    c: S(first.consumer),
    t: S(first.topic),
    q: N(first.queueId),
    b: S(first.batchId),
    l: { M: entries },
    mv: N(earliest),
    ver: N(1),
    ttl: N(ttlSeconds(latest + LEASE_LIFETIME_MS)),
  };
}

export function leaseEntries(item: Item): Map<number, LeaseEntry> {
  const out = new Map<number, LeaseEntry>();
  for (const [offset, value] of Object.entries(item['l']?.M ?? {})) {
    const entry = value.M;
    if (!entry) continue;
    out.set(Number(offset), {
      attempt: Number(entry['a']?.N ?? 0),
      visibleAt: Number(entry['v']?.N ?? 0),
      token: expandText(entry['t']),
      msgId: expandText(entry['i']),
      ...(entry['g']?.S === undefined ? {} : { messageGroup: entry['g'].S }),
    });
  }
  return out;
}

/** Every lease an item holds, as the port's Lease records. */
export function leasesOf(item: Item): Lease[] {
  const consumer = requireStr(item, 'c');
  const topic = requireStr(item, 't');
  const queueId = requireNum(item, 'q');
  const batchId = requireStr(item, 'b');
  return [...leaseEntries(item)].map(([queueOffset, entry]) => ({
    consumer,
    topic,
    queueId,
    queueOffset,
    batchId,
    ...entry,
  }));
}

/** The true earliest visibleAt of an item's entries (undefined when it has none). */
export function earliestVisibleAt(item: Item): number | undefined {
  const times = [...leaseEntries(item).values()].map((entry) => entry.visibleAt);
  return times.length === 0 ? undefined : Math.min(...times);
}

export function itemVersion(item: Item | undefined): number | undefined {
  return num(item, 'ver');
}

export function itemKeyOf(item: Item): Item {
  return { p: S(requireStr(item, 'p')), s: S(str(item, 's') ?? '') };
}
