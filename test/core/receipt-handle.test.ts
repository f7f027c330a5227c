import { describe, expect, it } from 'vitest';
import { decodeReceiptHandle, encodeReceiptHandle, groupOfLane } from '../../src/core/receipt-handle.ts';

const handle = {
  consumer: 'billing@host-1.eu:7',
  topic: 'orders',
  queueId: 3,
  queueOffset: 123_456_789,
  batchId: 'r1764000000000.42',
  token: 'aB3_-xYz012345678901234',
};

describe('receipt handles', () => {
  it('round-trip every field, also for broadcasting lanes', () => {
    expect(decodeReceiptHandle(encodeReceiptHandle(handle))).toEqual(handle);
    expect(groupOfLane(handle.consumer)).toBe('billing');
  });

  it('still reads handles of the previous version, ignoring the attempt they carried', () => {
    const previous = `${encodeReceiptHandle(handle).replace('h3', 'h2')}~9999999999999999`;
    expect(decodeReceiptHandle(previous)).toEqual(handle);
  });

  it.each([
    ['empty', ''],
    ['garbage', 'not-a-handle'],
    ['wrong version', encodeReceiptHandle(handle).replace('h3', 'h2')],
    ['a field missing', encodeReceiptHandle(handle).split('~').slice(0, 6).join('~')],
    ['a negative offset', encodeReceiptHandle({ ...handle, queueOffset: -1 })],
    ['a non-numeric queue', encodeReceiptHandle(handle).replace('~3~', '~x~')],
    ['a bad topic name', encodeReceiptHandle({ ...handle, topic: 'or ders' })],
    ['too long', `h3~${'a'.repeat(600)}`],
    ['an extra field (the attempt of older handles)', `${encodeReceiptHandle(handle)}~16`],
  ])('reject %s as INVALID_RECEIPT_HANDLE', (_, text) => {
    expect(() => decodeReceiptHandle(text)).toThrow(expect.objectContaining({ code: 'INVALID_RECEIPT_HANDLE' }));
  });
});
