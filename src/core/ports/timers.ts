/** A timer set through `Timers`; pass it back to cancel. */
export interface TimerHandle {
  readonly id: unknown;
}

/**
 * Real time comes in through this port, like `Clock`: core never calls `setTimeout`
 * itself, so tests can drive it, and drivers decide how background work is scheduled.
 */
export interface Timers {
  /** Calls `callback` once after `ms`; the timer never keeps the process alive. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Calls `callback` every `ms` until cleared; never keeps the process alive. */
  setInterval(callback: () => void, ms: number): TimerHandle;
  clear(handle: TimerHandle | undefined): void;
  /** Runs `callback` once the current I/O callbacks are done (after a response already on its way). */
  defer(callback: () => void): void;
}

/**
 * Where held messages fall due: a driver makes sure `release` runs for them on time. In
 * embedded mode an in-process timer; on AWS an SQS delay for the last 15 minutes and an
 * EventBridge Scheduler schedule per time bucket before that. Idempotent: announcing the
 * same message twice only means one more (harmless) release attempt.
 */
export interface ReleaseScheduler {
  /** Held messages that fall due at their `dueAt`. Called after they are durably held. */
  schedule(due: readonly { topic: string; msgId: string; dueAt: number }[]): Promise<void>;
}
