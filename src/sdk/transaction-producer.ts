import type { CommitResultBody, ReceiveChecksResponse, SendResultBody } from '../api/types.ts';
import type { CallOptions, Client } from './client.ts';
import { NimbusApiError } from './errors.ts';
import { type MessageBody, type OutgoingMessage, toWire } from './producer.ts';
import { TransactionCheck, type TransactionDecision } from './transaction-check.ts';

/** A half message: invisible until committed. */
export interface HalfMessage {
  msgId: string;
  topic: string;
  transactionId: string;
  duplicate: boolean;
}

/** Where a committed message is in its queue. */
export type CommitResult = CommitResultBody;

/** How `send` ended: committed (with the queue position), rolled back, or left to the checker. */
export type TransactionOutcome =
  | (HalfMessage & { state: 'COMMITTED'; queueId: number; queueOffset: number })
  | (HalfMessage & { state: 'ROLLED_BACK' | 'UNKNOWN' });

/**
 * The local transaction run between the half message and the decision. Returning (nothing,
 * or 'COMMIT') commits; throwing rolls back; returning 'ROLLBACK' or 'UNKNOWN' does that.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: an async callback with no return value is Promise<void>.
export type LocalTransaction = (half: HalfMessage) => Promise<TransactionDecision | undefined | void>;

export interface PollChecksOptions {
  /** Decides one check, e.g. by looking the local transaction up. */
  check: (check: TransactionCheck) => Promise<TransactionDecision> | TransactionDecision;
  /** Stops the loop (it finishes the checks in hand). */
  signal?: AbortSignal;
  /** Checks per receive, 1-32. @default 10 */
  maxMessages?: number;
  /** Long-poll per receive. @default 10000 */
  waitMs?: number;
  /** Only checks of these topics; with access keys, PUB on each (without: PUB on `topic:*`). */
  topics?: string[];
  /** Called when a round fails (then the loop waits a second and goes on). */
  onError?: (error: unknown) => void;
}

/**
 * Sends transactional messages for one registered producer group (RocketMQ's transaction
 * producer): a half message, the local transaction, then commit or rollback. When the
 * producer dies before deciding, the broker asks the group's checker.
 * @example
 * const producer = new TransactionProducer(client, { producerGroup: 'payments' });
 * await producer.send('transfers', { body: JSON.stringify(transfer), keys: [transfer.id] }, async () => {
 *   await db.debit(transfer); // throws: rolled back
 * });
 */
export class TransactionProducer {
  private readonly client: Client;
  readonly producerGroup: string;

  constructor(client: Client, options: { producerGroup: string }) {
    this.client = client;
    this.producerGroup = options.producerGroup;
  }

  /**
   * Sends a half message: stored, invisible to every group until committed.
   * @example
   * const { transactionId } = await producer.sendHalf('transfers', 'payload');
   */
  async sendHalf(topic: string, message: OutgoingMessage | MessageBody, call?: CallOptions): Promise<HalfMessage> {
    const body = { ...toWire(message), producerGroup: this.producerGroup };
    const result = await this.client.request<SendResultBody>(
      'POST',
      `/v1/topics/${encodeURIComponent(topic)}/messages`,
      body,
      call,
    );
    if (result.transactionId === undefined) {
      throw new Error(`Topic "${topic}" did not answer a transactionId: is it a TRANSACTION topic?`);
    }
    return {
      msgId: result.msgId,
      topic: result.topic,
      transactionId: result.transactionId,
      duplicate: result.duplicate,
    };
  }

  /**
   * Sends a half message, runs the local transaction, and commits when it returns, rolls back
   * when it throws (then rethrows). 'UNKNOWN' leaves the decision to the checker.
   * @example
   * const outcome = await producer.send('transfers', payload, async (half) => { await db.debit(transfer, half.msgId); });
   */
  async send(
    topic: string,
    message: OutgoingMessage | MessageBody,
    localTransaction: LocalTransaction,
    call?: CallOptions,
  ): Promise<TransactionOutcome> {
    const half = await this.sendHalf(topic, message, call);
    let decision: TransactionDecision;
    try {
      decision = (await localTransaction(half)) ?? 'COMMIT';
    } catch (error) {
      await this.rollback(half.transactionId, call);
      throw error;
    }
    if (decision === 'COMMIT') return { ...half, state: 'COMMITTED', ...(await this.commit(half.transactionId, call)) };
    if (decision === 'ROLLBACK') {
      await this.rollback(half.transactionId, call);
      return { ...half, state: 'ROLLED_BACK' };
    }
    return { ...half, state: 'UNKNOWN' };
  }

  /** Commits: the message becomes visible once. Repeating answers the same; after a rollback, 409. */
  commit(transactionId: string, call?: CallOptions): Promise<CommitResult> {
    return this.client.request('POST', `${transactionPath(transactionId)}/commit`, undefined, call);
  }

  /** Rolls back: the message is discarded. Repeating is fine; after a commit, 409. */
  async rollback(transactionId: string, call?: CallOptions): Promise<void> {
    await this.client.request('POST', `${transactionPath(transactionId)}/rollback`, undefined, call);
  }

  /**
   * Poll mode: the group's due checks (of `topics` only, if given), each handed to this
   * caller only. Answer each by commit or rollback (or `answer`).
   * @example
   * for (const check of await producer.receiveChecks({ waitMs: 10_000 })) await producer.answer(check, 'COMMIT');
   */
  async receiveChecks(
    options: { maxMessages?: number; waitMs?: number; topics?: string[] } = {},
    call?: CallOptions,
  ): Promise<TransactionCheck[]> {
    const path = `/v1/producer-groups/${encodeURIComponent(this.producerGroup)}/checks/receive`;
    const { checks } = await this.client.request<ReceiveChecksResponse>('POST', path, options, call);
    return checks.map((wire) => new TransactionCheck(wire));
  }

  /**
   * Applies a decision to a check. A transaction decided meanwhile (409, or gone: 404) is
   * not an error: somebody decided it.
   */
  async answer(check: TransactionCheck, decision: TransactionDecision, call?: CallOptions): Promise<void> {
    if (decision === 'UNKNOWN') return;
    try {
      if (decision === 'COMMIT') await this.commit(check.transactionId, call);
      else await this.rollback(check.transactionId, call);
    } catch (error) {
      if (error instanceof NimbusApiError && (error.status === 409 || error.status === 404)) return;
      throw error;
    }
  }

  /**
   * Poll mode's loop: receives checks and answers each with `check`, until `signal` aborts.
   * @example
   * const stop = new AbortController();
   * const loop = producer.pollChecks({ check: async (c) => ((await db.has(c.keys[0])) ? 'COMMIT' : 'UNKNOWN'), signal: stop.signal });
   */
  async pollChecks(options: PollChecksOptions): Promise<void> {
    const { signal } = options;
    while (!signal?.aborted) {
      try {
        const checks = await this.receiveChecks(
          {
            maxMessages: options.maxMessages ?? 10,
            waitMs: options.waitMs ?? 10_000,
            ...(options.topics ? { topics: options.topics } : {}),
          },
          { signal },
        );
        for (const check of checks) await this.answer(check, await options.check(check));
      } catch (error) {
        if (signal?.aborted) return;
        options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }
}

function transactionPath(transactionId: string): string {
  return `/v1/transactions/${encodeURIComponent(transactionId)}`;
}
