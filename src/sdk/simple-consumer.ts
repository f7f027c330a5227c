import type {
  ChangeInvisibleDurationResponse,
  ReceiveResponse,
  SettleResponse,
  SettleResultBody,
} from '../api/types.ts';
import type { CallOptions, Client } from './client.ts';
import { ReceivedMessage } from './message.ts';

/**
 * The group to consume and defaults for every receive.
 * @example
 * const options: SimpleConsumerOptions = { group: 'billing', clientId: 'worker-1', waitMs: 20_000 };
 */
export interface SimpleConsumerOptions {
  group: string;
  /** This consumer instance; broadcasting groups keep progress per clientId. Generated when absent. */
  clientId?: string;
  /** Default for receive: how long received messages stay hidden from others (10 s to 12 h; broker default 30 s). */
  invisibleDurationMs?: number;
  /** Default for receive: long-poll up to this long when nothing is ready (0 to 20 000; default 0). */
  waitMs?: number;
  /** Default for receive: at most this many messages (1 to 32; default 1). */
  maxMessages?: number;
}

/**
 * Overrides of the consumer's defaults for one receive.
 * @example
 * await consumer.receive({ maxMessages: 16, waitMs: 20_000, invisibleDurationMs: 60_000 } satisfies ReceiveOptions);
 */
export interface ReceiveOptions extends CallOptions {
  maxMessages?: number;
  invisibleDurationMs?: number;
  waitMs?: number;
}

/**
 * The outcome of settling one delivery; a stale handle is reported here, not thrown.
 * @example
 * const [result]: SettleResult[] = await consumer.ack(message);
 * if (!result?.ok) console.warn(result?.code); // e.g. RECEIPT_HANDLE_EXPIRED
 */
export type SettleResult = SettleResultBody;

/**
 * A delivery to settle: the received message, or its receipt handle.
 * @example
 * const items: Settleable[] = [message, message.receiptHandle];
 */
export type Settleable = ReceivedMessage | string;

/**
 * Pulls messages and settles them explicitly, like RocketMQ's SimpleConsumer.
 * @example
 * const consumer = new SimpleConsumer(client, { group: 'billing', waitMs: 20_000 });
 * for (const message of await consumer.receive({ maxMessages: 16 })) {
 *   await handle(message.json());
 *   await consumer.ack(message);
 * }
 */
export class SimpleConsumer {
  readonly group: string;
  readonly clientId: string;
  private readonly client: Client;
  private readonly defaults: Omit<SimpleConsumerOptions, 'group' | 'clientId'>;

  constructor(client: Client, options: SimpleConsumerOptions) {
    this.client = client;
    this.group = options.group;
    this.clientId = options.clientId ?? generateClientId();
    this.defaults = {
      invisibleDurationMs: options.invisibleDurationMs,
      waitMs: options.waitMs,
      maxMessages: options.maxMessages,
    };
  }

  /** Receives messages; with `waitMs` it waits that long for one when none is ready. */
  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const { signal, ...overrides } = options;
    const body = { ...this.defaults, ...withoutUndefined(overrides), clientId: this.clientId };
    const response = await this.client.request<ReceiveResponse>('POST', this.path('receive'), body, { signal });
    return response.messages.map((wire) => new ReceivedMessage(wire));
  }

  /** Acknowledges deliveries: they are done. One result per item, in order. */
  async ack(messages: Settleable | readonly Settleable[], call?: CallOptions): Promise<SettleResult[]> {
    const body = { receiptHandles: handlesOf(messages) };
    return (await this.client.request<SettleResponse>('POST', this.path('ack'), body, call)).results;
  }

  /** Gives deliveries back: redelivered after `delayMs`, by default after the retry backoff (10 s, 30 s, 1 min, ...). */
  async nack(
    messages: Settleable | readonly Settleable[],
    options: { delayMs?: number } & CallOptions = {},
  ): Promise<SettleResult[]> {
    const body = { receiptHandles: handlesOf(messages), delayMs: options.delayMs };
    return (await this.client.request<SettleResponse>('POST', this.path('nack'), body, options)).results;
  }

  /**
   * Changes how long a delivery stays invisible, counted from now. The old receipt handle
   * stops working; a message object passed in gets the new handle.
   */
  async changeInvisibleDuration(
    message: Settleable,
    invisibleDurationMs: number,
    call?: CallOptions,
  ): Promise<ChangeInvisibleDurationResponse> {
    const receiptHandle = typeof message === 'string' ? message : message.receiptHandle;
    const result = await this.client.request<ChangeInvisibleDurationResponse>(
      'POST',
      this.path('change-invisible-duration'),
      { receiptHandle, invisibleDurationMs },
      call,
    );
    if (typeof message !== 'string') {
      message.receiptHandle = result.receiptHandle;
      message.invisibleUntil = result.invisibleUntil;
    }
    return result;
  }

  private path(action: string): string {
    return `/v1/groups/${encodeURIComponent(this.group)}/${action}`;
  }
}

function handlesOf(messages: Settleable | readonly Settleable[]): string[] {
  const list: readonly Settleable[] = Array.isArray(messages) ? messages : [messages as Settleable];
  return list.map((item) => (typeof item === 'string' ? item : item.receiptHandle));
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A random client id in the broker's allowed alphabet.
 * @example
 * generateClientId(); // 'client-1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed'
 */
export function generateClientId(): string {
  const random =
    typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function'
      ? crypto.randomUUID()
      : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  return `client-${random}`;
}
