/** Named advisory locks with an expiry. Conformance: test/conformance/lock-conformance.ts. */
export interface LockStore {
  /**
   * Takes the named lock for `owner` until `expiresAt` (epoch ms), atomically. Succeeds
   * when nobody holds the lock, when the holder's expiry is at or before `now`, or when
   * `owner` holds it already (then its expiry becomes `expiresAt`: a renewal). Otherwise
   * returns false and changes nothing. Of any number of concurrent acquirers, at most one
   * holds an unexpired lock at a time. `now` comes from the caller, so holders must share
   * a clock (up to a skew far below the lock's lifetime). Locks are advisory and need not
   * be durable: a lock lost in a crash only lets one other holder in early.
   */
  acquireLock(name: string, owner: string, expiresAt: number, now: number): Promise<boolean>;
  /** Frees the named lock if `owner` holds it; a lock held by another owner (or none) stays as it is. */
  releaseLock(name: string, owner: string): Promise<void>;
}
