import type { Clock } from '../../src/core/ports/clock.ts';

/** A clock that only moves when told to, so tests control visibility, backoff and expiry exactly. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start = Date.UTC(2030, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  set(ms: number): void {
    this.current = ms;
  }

  advance(ms: number): number {
    this.current += ms;
    return this.current;
  }
}
