import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item } from './gateway.ts';

/** Tiny AttributeValue builders and readers, so request builders stay readable. */

export const S = (value: string): AttributeValue => ({ S: value });
export const N = (value: number): AttributeValue => ({ N: String(value) });
export const B = (value: Uint8Array): AttributeValue => ({ B: value });

export function str(item: Item | undefined, name: string): string | undefined {
  return item?.[name]?.S;
}

export function num(item: Item | undefined, name: string): number | undefined {
  const value = item?.[name]?.N;
  return value === undefined ? undefined : Number(value);
}

export function bin(item: Item | undefined, name: string): Uint8Array | undefined {
  return item?.[name]?.B;
}

export function requireStr(item: Item, name: string): string {
  const value = str(item, name);
  if (value === undefined) throw new Error(`DynamoDB item lacks string attribute "${name}".`);
  return value;
}

export function requireNum(item: Item, name: string): number {
  const value = num(item, name);
  if (value === undefined) throw new Error(`DynamoDB item lacks number attribute "${name}".`);
  return value;
}

/** DynamoDB TTL wants epoch seconds; rounding up keeps an item at least until `epochMs`. */
export function ttlSeconds(epochMs: number): number {
  return Math.ceil(epochMs / 1000);
}
