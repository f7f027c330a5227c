import { describe, expect, it } from 'vitest';
import { decodeDeadLetterCursor, encodeDeadLetterCursor } from '../../src/core/dead-letter-cursor.ts';

const position = {
  deadAt: 1_764_000_000_123,
  consumer: 'billing@host-1.eu:7',
  topic: 'orders',
  queueId: 12,
  queueOffset: 987_654_321,
};

describe('dead-letter page cursors', () => {
  it('round-trip the position of the last letter, also of a broadcasting lane', () => {
    expect(decodeDeadLetterCursor(encodeDeadLetterCursor(position))).toEqual(position);
    expect(decodeDeadLetterCursor(encodeDeadLetterCursor({ ...position, consumer: 'billing' }))).toEqual({
      ...position,
      consumer: 'billing',
    });
  });

  it('survive a query string unchanged', () => {
    const token = encodeDeadLetterCursor(position);
    expect(new URLSearchParams(`after=${encodeURIComponent(token)}`).get('after')).toBe(token);
  });

  it.each([
    ['empty', ''],
    ['a receipt handle', 'h2~billing~orders~1~2~b~t~1'],
    ['wrong version', encodeDeadLetterCursor(position).replace('d1', 'd0')],
    ['a field missing', encodeDeadLetterCursor(position).split('~').slice(0, 5).join('~')],
    ['a negative time', encodeDeadLetterCursor({ ...position, deadAt: -5 })],
    ['a bad lane', encodeDeadLetterCursor({ ...position, consumer: 'bill ing' })],
    ['too long', `d1~${'1'.repeat(600)}`],
  ])('reject %s as INVALID_ARGUMENT', (_, text) => {
    expect(() => decodeDeadLetterCursor(text)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
