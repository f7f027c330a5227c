import type { Client } from './client.ts';
import type { ReceivedMessage } from './message.ts';
import { SimpleConsumer } from './simple-consumer.ts';

/**
 * What a push consumer consumes and how.
 * @example
 * const options: PushConsumerOptions = { group: 'billing', concurrency: 8, handler: (m) => charge(m.json()) };
 */
export interface PushConsumerOptions {
  group: string;
  clientId?: string;
  /** Called once per delivery. Resolving acks the message; throwing nacks it (retried with backoff). */
  handler: (message: ReceivedMessage) => unknown;
  /** Handlers running at once; default 4. */
  concurrency?: number;
  /** How long a delivery stays hidden while its handler runs (broker default 30 s). */
  invisibleDurationMs?: number;
  /** Long-poll per receive; default 20 000 ms. */
  waitMs?: number;
  /** Pause after a failed receive before trying again; default 1 000 ms. */
  errorBackoffMs?: number;
  /**
   * For orderly groups on FIFO topics: one message group handled at a time, serially;
   * different groups in parallel (up to `concurrency`). After a handler throws, the later
   * messages of its group that this consumer already holds are nacked without running, so
   * the failed one is retried first. Default false.
   */
  orderly?: boolean;
  /** Failed receives, handlers that threw, and acks/nacks that failed end up here. */
  onError?: (error: unknown, message?: ReceivedMessage) => void;
}

const MAX_RECEIVE = 32;

/**
 * Receives in the background and calls a handler per message with bounded concurrency,
 * like RocketMQ's PushConsumer: ack on success, nack on throw. With `orderly`, messages of
 * one message group run one after another (see PushConsumerOptions.orderly).
 * @example
 * const consumer = new PushConsumer(client, {
 *   group: 'billing',
 *   concurrency: 8,
 *   handler: async (message) => charge(message.json()),
 * });
 * consumer.start();
 * // ... on shutdown: waits for running handlers and their acks
 * await consumer.stop();
 */
export class PushConsumer {
  readonly consumer: SimpleConsumer;
  private readonly options: PushConsumerOptions;
  private readonly concurrency: number;
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private loop: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private slotFreed: (() => void) | undefined;
  /** Orderly mode: the last task of each message group in this consumer, and whether it failed. */
  private readonly groupTails = new Map<string, Promise<boolean>>();

  constructor(client: Client, options: PushConsumerOptions) {
    this.options = options;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
    this.consumer = new SimpleConsumer(client, {
      group: options.group,
      clientId: options.clientId,
      invisibleDurationMs: options.invisibleDurationMs,
      waitMs: options.waitMs ?? 20_000,
    });
  }

  get clientId(): string {
    return this.consumer.clientId;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts receiving; does nothing when already running. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  /** Stops receiving and resolves once every running handler finished and was settled. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort?.abort();
    this.slotFreed?.();
    await this.loop;
    await Promise.all(this.inFlight);
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (this.running) {
      if (this.inFlight.size >= this.concurrency) {
        await new Promise<void>((resolve) => {
          this.slotFreed = resolve;
        });
        continue;
      }
      let messages: ReceivedMessage[];
      try {
        const maxMessages = Math.min(MAX_RECEIVE, this.concurrency - this.inFlight.size);
        messages = await this.consumer.receive({ maxMessages, signal });
      } catch (error) {
        if (!this.running) return;
        this.report(error);
        await sleep(this.options.errorBackoffMs ?? 1_000, signal);
        continue;
      }
      // Even when stop() came meanwhile: these are ours now, so handle them rather than leave them hidden.
      for (const message of messages) this.dispatch(message);
    }
  }

  private dispatch(message: ReceivedMessage): void {
    const task = this.handleInTurn(message).finally(() => {
      this.inFlight.delete(task);
      const wake = this.slotFreed;
      this.slotFreed = undefined;
      wake?.();
    });
    this.inFlight.add(task);
  }

  /** Orderly mode: after the group's earlier message here is settled; a failure before it nacks it unrun. */
  private async handleInTurn(message: ReceivedMessage): Promise<void> {
    const key = message.messageGroup;
    if (!this.options.orderly || key === undefined) {
      await this.handle(message, true);
      return;
    }
    const before = this.groupTails.get(key);
    const tail = (async () => {
      const earlierOk = before ? await before : true;
      return this.handle(message, earlierOk);
    })();
    this.groupTails.set(key, tail);
    await tail;
    if (this.groupTails.get(key) === tail) this.groupTails.delete(key);
  }

  /** Runs the handler (unless `run` is false) and acks or nacks; true when acked. */
  private async handle(message: ReceivedMessage, run: boolean): Promise<boolean> {
    let succeeded = false;
    if (run) {
      try {
        await this.options.handler(message);
        succeeded = true;
      } catch (error) {
        this.report(error, message);
      }
    }
    try {
      const [result] = succeeded ? await this.consumer.ack(message) : await this.consumer.nack(message);
      if (result && !result.ok) this.report(new Error(`${result.code}: ${result.message}`), message);
    } catch (error) {
      this.report(error, message);
    }
    return succeeded;
  }

  private report(error: unknown, message?: ReceivedMessage): void {
    try {
      this.options.onError?.(error, message);
    } catch {
      // An error reporter that throws must not stop consumption.
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
