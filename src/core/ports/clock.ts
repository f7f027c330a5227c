/** Time comes in through this port so tests can control it. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** Ids and randomness come in through this port so tests can make them predictable. */
export interface IdGenerator {
  /** A unique, time-sortable message id for a message stored at `now`. */
  messageId(now: number): string;
  /** An unguessable token that fences one delivery of a message (part of a receipt handle). */
  token(): string;
  /**
   * The token that follows `token` when a delivery's invisible time is changed: always the
   * same for the same input, so a retried change (its response was lost) recognises its own
   * earlier success. It gives the holder of `token` nothing it could not do already.
   */
  successorToken(token: string): string;
}
