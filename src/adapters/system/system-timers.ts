import type { TimerHandle, Timers } from '../../core/ports/timers.ts';

/** Node's timers behind the `Timers` port; none of them keeps the process alive. */
export const systemTimers: Timers = {
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, Math.max(0, ms));
    timer.unref?.();
    return { id: timer };
  },
  setInterval(callback, ms) {
    const timer = setInterval(callback, Math.max(1, ms));
    timer.unref?.();
    return { id: timer };
  },
  clear(handle: TimerHandle | undefined) {
    if (handle) clearTimeout(handle.id as ReturnType<typeof setTimeout>);
  },
  defer(callback) {
    setImmediate(callback);
  },
};
