import type { Broker } from '../core/broker.ts';
import type { EmbeddedLogger } from './logger.ts';

/** A periodic background job of the broker. */
export interface BackgroundTask {
  name: string;
  run(): Promise<unknown>;
}

export interface BackgroundDriver {
  /** Stops scheduling and waits for a run in progress to finish. */
  stop(): Promise<void>;
}

/** The embedded broker's background work; on AWS, schedules call the same core services. */
export function brokerTasks(broker: Broker): BackgroundTask[] {
  return [
    { name: 'retention-sweep', run: () => broker.maintenance.sweepRetention() },
    // Messages whose last delivery expired unacked reach the DLQ even when nobody receives.
    { name: 'lease-expiry', run: () => broker.maintenance.deadLetterExhausted() },
  ];
}

/**
 * Runs tasks one after another every `intervalMs` in this process. A failing task is
 * logged and tried again next round; the timer never keeps the process alive.
 * @example
 * const driver = startBackgroundDriver(brokerTasks(broker), { intervalMs: 60_000, logger });
 * await driver.stop();
 */
export function startBackgroundDriver(
  tasks: readonly BackgroundTask[],
  options: { intervalMs: number; logger: EmbeddedLogger },
): BackgroundDriver {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();

  const runAll = async () => {
    for (const task of tasks) {
      if (stopped) return;
      try {
        const result = await task.run();
        if (typeof result === 'number' && result > 0)
          options.logger.info(`${task.name}: ${result}`, { task: task.name });
      } catch (error) {
        options.logger.error(`${task.name} failed`, { task: task.name, error });
      }
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runAll().then(schedule);
    }, options.intervalMs);
    timer.unref();
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
