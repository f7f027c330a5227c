import type { Broker } from '../core/broker.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { ReleaseScheduler } from '../core/ports/timers.ts';
import type { EmbeddedLogger } from './logger.ts';

/** What one run of a task did: how much work, and when it wants to run next. */
export interface TaskRun {
  /** Items handled (logged when above 0). */
  count?: number;
  /** Epoch ms (broker clock) of the next run, when sooner than the task's interval. */
  nextRunAt?: number;
}

/** A background job of the broker, run again at least every `intervalMs`. */
export interface BackgroundTask {
  name: string;
  intervalMs: number;
  /** Run once when the driver starts (work that may be overdue after a restart). */
  runAtStart?: boolean;
  run(): Promise<TaskRun>;
}

export interface BackgroundDriver {
  /** Makes the task run at `at` (epoch ms, broker clock) if that is sooner than planned. */
  wake(name: string, at: number): void;
  /** Stops scheduling and waits for runs in progress to finish. */
  stop(): Promise<void>;
}

/** Name of the task that releases delayed messages when due. */
export const DELAYED_RELEASE = 'delayed-release';

/** The embedded broker's background work; on AWS, schedules and queues call the same core services. */
export function brokerTasks(broker: Broker, options: { sweepIntervalMs?: number } = {}): BackgroundTask[] {
  const intervalMs = options.sweepIntervalMs ?? 60_000;
  return [
    {
      name: 'retention-sweep',
      intervalMs,
      run: async () => ({ count: await broker.maintenance.sweepRetention() }),
    },
    // Messages whose last delivery expired unacked reach the DLQ even when nobody receives.
    { name: 'lease-expiry', intervalMs, run: async () => ({ count: await broker.maintenance.deadLetterExhausted() }) },
    {
      // Runs at the next due time (woken by each hold), so delayed messages arrive on time; the
      // interval is only a safety net. At start it releases whatever fell due while stopped.
      name: DELAYED_RELEASE,
      intervalMs,
      runAtStart: true,
      run: async () => {
        const { released, nextDueAt } = await broker.scheduled.releaseDue();
        return { count: released, nextRunAt: nextDueAt };
      },
    },
  ];
}

/**
 * Runs each task in this process at its next due time: after its interval, or sooner when
 * its last run or a `wake` asked for it. Runs of one task never overlap; a failing run is
 * logged and tried again at the next interval. The timers never keep the process alive.
 * @example
 * const driver = startBackgroundDriver(brokerTasks(broker), { clock, logger });
 * driver.wake(DELAYED_RELEASE, clock.now() + 5_000);
 * await driver.stop();
 */
export function startBackgroundDriver(
  tasks: readonly BackgroundTask[],
  options: { clock: Clock; logger: EmbeddedLogger },
): BackgroundDriver {
  const { clock, logger } = options;
  let stopped = false;
  const loops = new Map(tasks.map((task) => [task.name, new TaskLoop(task, clock, logger, () => stopped)]));
  for (const loop of loops.values()) loop.start();
  return {
    wake(name, at) {
      loops.get(name)?.runBy(at);
    },
    async stop() {
      stopped = true;
      await Promise.all([...loops.values()].map((loop) => loop.stop()));
    },
  };
}

/** One task's timer: armed for the earliest time anyone asked for, re-armed after each run. */
class TaskLoop {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private running: Promise<void> | undefined;
  /** A wake-up that came while running: honoured when the run ends. */
  private wantedBy = Number.POSITIVE_INFINITY;

  private readonly task: BackgroundTask;
  private readonly clock: Clock;
  private readonly logger: EmbeddedLogger;
  private readonly stopped: () => boolean;

  constructor(task: BackgroundTask, clock: Clock, logger: EmbeddedLogger, stopped: () => boolean) {
    this.task = task;
    this.clock = clock;
    this.logger = logger;
    this.stopped = stopped;
  }

  start(): void {
    this.arm(this.task.runAtStart ? this.clock.now() : this.clock.now() + this.task.intervalMs);
  }

  runBy(at: number): void {
    if (this.running) this.wantedBy = Math.min(this.wantedBy, at);
    else if (at < this.armedFor) this.arm(at);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.armedFor = Number.POSITIVE_INFINITY;
    await this.running;
  }

  private arm(at: number): void {
    if (this.stopped()) return;
    clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.armedFor = Number.POSITIVE_INFINITY;
    this.running = this.runOnce();
  }

  private async runOnce(): Promise<void> {
    let next = this.clock.now() + this.task.intervalMs;
    try {
      const result = await this.task.run();
      if ((result.count ?? 0) > 0) this.logger.info(`${this.task.name}: ${result.count}`, { task: this.task.name });
      if (result.nextRunAt !== undefined) next = Math.min(next, result.nextRunAt);
    } catch (error) {
      this.logger.error(`${this.task.name} failed`, { task: this.task.name, error });
    }
    // In the same turn as the re-arm: a wake-up arriving from here on arms the timer itself.
    this.running = undefined;
    next = Math.min(next, this.wantedBy);
    this.wantedBy = Number.POSITIVE_INFINITY;
    this.arm(next);
  }
}

/**
 * The embedded `ReleaseScheduler`: wakes the driver's release task at the earliest due time.
 * The broker is wired before the driver starts, so the driver is attached afterwards.
 */
export class InProcessReleaseScheduler implements ReleaseScheduler {
  private driver: BackgroundDriver | undefined;

  attach(driver: BackgroundDriver): void {
    this.driver = driver;
  }

  async schedule(due: readonly { dueAt: number }[]): Promise<void> {
    const earliest = Math.min(...due.map((entry) => entry.dueAt));
    if (Number.isFinite(earliest)) this.driver?.wake(DELAYED_RELEASE, earliest);
  }
}
