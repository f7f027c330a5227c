/** Below this many entries a cache of lookups is never swept (sweeping a small map buys nothing). */
const MIN_SWEEP_SIZE = 1_024;

/**
 * Store records (or their absence) looked up by name, each trusted for `ttlMs` after it was
 * read. Entries past that time are swept whenever the map has doubled since the last sweep,
 * so it holds about the names looked up in the last `ttlMs`, not every name ever looked up:
 * without the sweep, a client naming a new (even non-existent) topic in each request grows
 * a long-running broker by one entry per request. Sweeping at doubling sizes keeps the cost
 * per lookup constant.
 * @example
 * const topics = new RecentLookups<Topic>(2_000);
 * topics.remember('orders', topic, clock.now());
 * topics.trusted('orders', clock.now()); // { value: topic } within 2 s, then undefined
 */
export class RecentLookups<V> {
  private readonly entries = new Map<string, { at: number; value: V | undefined }>();
  private sweepAtSize = MIN_SWEEP_SIZE;
  private readonly ttlMs: number;

  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }

  /** Entries held (current or not swept yet). */
  get size(): number {
    return this.entries.size;
  }

  /** The remembered lookup (`value` undefined: the record did not exist), if read less than `ttlMs` ago. */
  trusted(name: string, now: number): { value: V | undefined } | undefined {
    const entry = this.entries.get(name);
    return entry && now - entry.at < this.ttlMs ? entry : undefined;
  }

  remember(name: string, value: V | undefined, now: number): void {
    this.entries.set(name, { at: now, value });
    if (this.entries.size >= this.sweepAtSize) this.sweep(now);
  }

  forget(name: string): void {
    this.entries.delete(name);
  }

  private sweep(now: number): void {
    for (const [name, entry] of this.entries) if (now - entry.at >= this.ttlMs) this.entries.delete(name);
    this.sweepAtSize = Math.max(MIN_SWEEP_SIZE, this.entries.size * 2);
  }
}
