import { randomBytes } from 'node:crypto';
import type { Clock, IdGenerator } from '../../core/ports/clock.ts';

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Message ids are 32 hex characters: 12 of store time (ms), 4 of a per-process sequence,
 * 16 random. They sort by time, like RocketMQ's, and are unique across processes.
 */
export function randomIds(): IdGenerator {
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
        randomBytes(8).toString('hex')
      ).toUpperCase();
    },
    token: () => randomBytes(12).toString('base64url'),
  };
}
