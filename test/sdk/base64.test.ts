import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64 } from '../../src/sdk/base64.ts';

describe('SDK base64', () => {
  it('matches standard padded base64 for every length remainder and round-trips', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) % 256);
      const text = bytesToBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(base64ToBytes(text)).toEqual(bytes);
    }
  });

  it('encodes a subarray view, not its whole buffer', () => {
    const view = new Uint8Array([1, 2, 3, 4, 5]).subarray(1, 4);
    expect(bytesToBase64(view)).toBe(Buffer.from([2, 3, 4]).toString('base64'));
  });
});
