import { createHash, randomFillSync } from 'node:crypto';
import type { Clock, IdGenerator } from '../../core/ports/clock.ts';

export const systemClock: Clock = { now: () => Date.now() };

/** Random bytes drawn in blocks: one system call per 512 ids instead of one per id. */
class RandomPool {
  private readonly pool = Buffer.alloc(4096);
  private offset = this.pool.length;

  take(bytes: number): Buffer {
    if (this.offset + bytes > this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const slice = this.pool.subarray(this.offset, this.offset + bytes);
    this.offset += bytes;
    return slice;
  }
}

/**
 * Message ids are 32 hex characters: 12 of store time (ms), 4 of a per-process sequence,
 * 16 random. They sort by time, like RocketMQ's, and are unique across processes.
 */
export function randomIds(): IdGenerator {
  const random = new RandomPool();
  let sequence = 0;
  let lastMs = 0;
  return {
    messageId(now: number): string {
      if (now !== lastMs) {
        lastMs = now;
        sequence = 0;
      }
      const seq = sequence++ & 0xffff;
      return (
        now.toString(16).padStart(12, '0').slice(-12) +
        seq.toString(16).padStart(4, '0') +
        random.take(8).toString('hex')
      ).toUpperCase();
    },
    token: () => random.take(12).toString('base64url'),
    successorToken: (token) =>
      createHash('sha256').update(`next:${token}`).digest().subarray(0, 12).toString('base64url'),
  };
}
