import { describe, expect, it } from 'vitest';
import { assertMessageGroup, fifoQueueOf } from '../../src/core/fifo-send.ts';
import type { Topic } from '../../src/core/model.ts';

const topic = (queueCount: number, messageType: Topic['messageType'] = 'FIFO'): Topic => ({
  name: 'orders',
  messageType,
  queueCount,
  retentionMs: 1,
  createdAt: 0,
});

describe('FIFO sends', () => {
  it('maps a message group to the same queue in every process and release (pinned values)', () => {
    const queues = ['a', 'b', 'customer-42', 'ünïcode-群'].map((group) =>
      fifoQueueOf(topic(8), { messageGroup: group }),
    );
    expect(queues).toEqual(PINNED);
    expect(fifoQueueOf(topic(1), { messageGroup: 'x' })).toBe(0);
    expect(fifoQueueOf(topic(8, 'NORMAL'), { messageGroup: 'x' })).toBeUndefined();
  });

  it('spreads message groups over all queues', () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => fifoQueueOf(topic(8), { messageGroup: `g${i}` })));
    expect(used).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
  });

  it('requires a message group of 1-128 characters', () => {
    expect(() => assertMessageGroup('orders', undefined)).toThrow(
      expect.objectContaining({ code: 'MESSAGE_GROUP_REQUIRED' }),
    );
    expect(() => assertMessageGroup('orders', '')).toThrow(expect.objectContaining({ code: 'MESSAGE_GROUP_REQUIRED' }));
    expect(() => assertMessageGroup('orders', 'g'.repeat(129))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => assertMessageGroup('orders', 'g'.repeat(128))).not.toThrow();
    // Characters are code points, as in the OpenAPI document's maxLength.
    expect(() => assertMessageGroup('orders', '😀'.repeat(128))).not.toThrow();
    expect(() => assertMessageGroup('orders', '😀'.repeat(129))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    // A lone surrogate would be stored as U+FFFD: another group than the one its queue was chosen by.
    for (const lone of ['a\ud800', '\udc00', 'x\udbff']) {
      expect(() => assertMessageGroup('orders', lone)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});

// FNV-1a of "a" is 0xe40c292c, of "b" 0xe70c2de5: queues 4 and 5 of 8.
const PINNED = [4, 5, 6, 4];
