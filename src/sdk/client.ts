import type {
  ConsumeMode,
  DeadLetterInfo,
  DeadLetterList,
  GroupInfo,
  GroupList,
  GroupStats,
  MessageInfoBody,
  MessagePage,
  MessageTrace,
  MessageType,
  ProducerGroupInfo,
  ProducerGroupList,
  PutProducerGroupRequest,
  RedriveResult,
  ResetOffsetRequest,
  ResetOffsetResult,
  ScheduledList,
  TopicInfo,
  TopicList,
  TopicStats,
} from '../api/types.ts';
import { errorFromResponse, NetworkError, NimbusApiError } from './errors.ts';

/**
 * One HTTP request as the SDK is about to send it; a signer may add headers.
 * @example
 * const request: HttpRequest = { method: 'GET', url: 'http://127.0.0.1:9800/v1/topics', headers: {} };
 */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * Signs a request before it is sent (e.g. AWS SigV4 for IAM-protected endpoints).
 * @example
 * const signer: RequestSigner = async (request) => ({
 *   ...request,
 *   headers: { ...request.headers, authorization: await sign(request) },
 * });
 */
export type RequestSigner = (request: HttpRequest) => Promise<HttpRequest>;

/**
 * How a client reaches the broker.
 * @example
 * const options: ClientOptions = { endpoint: 'http://127.0.0.1:9800', headers: { 'x-team': 'payments' } };
 */
export interface ClientOptions {
  /** Base URL of the broker, e.g. `http://127.0.0.1:9800`. */
  endpoint: string;
  /** A fetch implementation; default the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /**
   * Access token of an embedded broker started with `--auth-file`, sent as
   * `Authorization: Bearer <token>` (AWS deployments use a `signer` instead).
   */
  token?: string;
  signer?: RequestSigner;
}

/**
 * Per-call options: an AbortSignal cancels the request (and a long-poll on the broker).
 * @example
 * await client.listTopics({ signal: AbortSignal.timeout(5_000) });
 */
export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * Settings of a new topic; type and queue count are fixed once it exists.
 * @example
 * await client.createTopic('orders', { queueCount: 8, retentionHours: 24 } satisfies TopicOptions);
 */
export interface TopicOptions {
  messageType?: MessageType;
  queueCount?: number;
  retentionHours?: number;
  /** Record each message's lifecycle trace (default true). */
  trace?: boolean;
}

/**
 * Subscriptions and settings of a consumer group.
 * @example
 * const billing: GroupOptions = { subscriptions: [{ topic: 'orders', tagExpression: 'paid' }], maxDeliveryAttempts: 5 };
 */
export interface GroupOptions {
  /** Topics and their tag expressions; a missing tagExpression means `*` (all messages). */
  subscriptions: { topic: string; tagExpression?: string }[];
  consumeMode?: ConsumeMode;
  maxDeliveryAttempts?: number;
  /** Orderly consumption of FIFO topics (a message group's messages one after another); fixed once the group exists. */
  orderly?: boolean;
}

/**
 * The connection to a Nimbus MQ broker, with the admin calls. Producers and consumers
 * are built on a client.
 * @example
 * const client = new Client({ endpoint: 'http://127.0.0.1:9800' });
 * // A broker started with --auth-file: new Client({ endpoint, token: process.env.NIMBUS_TOKEN })
 * await client.createTopic('orders');
 * await client.createGroup('billing', { subscriptions: [{ topic: 'orders', tagExpression: 'paid' }] });
 */
export class Client {
  readonly endpoint: string;
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly headers: Record<string, string>;
  private readonly signer: RequestSigner | undefined;

  constructor(options: ClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.headers = { ...options.headers };
    if (options.token !== undefined) this.headers['authorization'] = `Bearer ${options.token}`;
    this.signer = options.signer;
  }

  /** Creates a topic, or returns it when it exists with the same type and queue count. */
  createTopic(name: string, options: TopicOptions = {}, call?: CallOptions): Promise<TopicInfo> {
    return this.request('PUT', `/v1/topics/${encodeURIComponent(name)}`, options, call);
  }

  getTopic(name: string, call?: CallOptions): Promise<TopicInfo> {
    return this.request('GET', `/v1/topics/${encodeURIComponent(name)}`, undefined, call);
  }

  async listTopics(call?: CallOptions): Promise<TopicInfo[]> {
    return (await this.request<TopicList>('GET', '/v1/topics', undefined, call)).topics;
  }

  async deleteTopic(name: string, call?: CallOptions): Promise<void> {
    await this.request('DELETE', `/v1/topics/${encodeURIComponent(name)}`, undefined, call);
  }

  /** Creates or updates a consumer group; new subscriptions receive messages sent from now on. */
  createGroup(name: string, options: GroupOptions, call?: CallOptions): Promise<GroupInfo> {
    const subscriptions = options.subscriptions.map((sub) => ({
      topic: sub.topic,
      tagExpression: sub.tagExpression ?? '*',
    }));
    return this.request('PUT', `/v1/groups/${encodeURIComponent(name)}`, { ...options, subscriptions }, call);
  }

  getGroup(name: string, call?: CallOptions): Promise<GroupInfo> {
    return this.request('GET', `/v1/groups/${encodeURIComponent(name)}`, undefined, call);
  }

  async listGroups(call?: CallOptions): Promise<GroupInfo[]> {
    return (await this.request<GroupList>('GET', '/v1/groups', undefined, call)).groups;
  }

  async deleteGroup(name: string, call?: CallOptions): Promise<void> {
    await this.request('DELETE', `/v1/groups/${encodeURIComponent(name)}`, undefined, call);
  }

  /**
   * One page of the group's dead letters, oldest first (bodies as the API sends them: text
   * or base64). Pass `nextToken` as `after` for the next page; the last page has none.
   * @example
   * const { deadLetters, nextToken } = await client.listDeadLetters('billing', { limit: 100 });
   */
  async listDeadLetters(
    group: string,
    options: { limit?: number; after?: string } = {},
    call?: CallOptions,
  ): Promise<DeadLetterList> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.after !== undefined) query.set('after', options.after);
    // toString, not `size`: older browsers lack URLSearchParams.size.
    const search = query.toString() === '' ? '' : `?${query}`;
    return this.request<DeadLetterList>('GET', `/v1/groups/${encodeURIComponent(group)}/dlq${search}`, undefined, call);
  }

  /**
   * Every dead letter of the group, oldest first, fetched a page at a time.
   * @example
   * for await (const letter of client.iterateDeadLetters('billing')) console.log(letter.msgId, letter.reason);
   */
  async *iterateDeadLetters(
    group: string,
    /** Letters per request (1-1000; default the broker's, 100). Pages also end early at a body budget. */
    options: { pageSize?: number } = {},
    call?: CallOptions,
  ): AsyncGenerator<DeadLetterInfo> {
    let after: string | undefined;
    do {
      const page = await this.listDeadLetters(group, { limit: options.pageSize, after }, call);
      yield* page.deadLetters;
      after = page.nextToken;
    } while (after !== undefined);
  }

  /** Puts dead letters back into delivery; all of them (up to `limit`) unless `msgIds` names some. */
  redriveDeadLetters(
    group: string,
    options: { msgIds?: string[]; limit?: number } = {},
    call?: CallOptions,
  ): Promise<RedriveResult> {
    return this.request('POST', `/v1/groups/${encodeURIComponent(group)}/dlq/redrive`, options, call);
  }

  /**
   * One page of a DELAY topic's pending messages, earliest due first. Pass `nextToken` as
   * `after` for the next page; the last page has none.
   * @example
   * const { scheduled, nextToken } = await client.listScheduled('reminders', { limit: 100 });
   */
  listScheduled(
    topic: string,
    options: { limit?: number; after?: string } = {},
    call?: CallOptions,
  ): Promise<ScheduledList> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.after !== undefined) query.set('after', options.after);
    const search = query.toString() === '' ? '' : `?${query}`;
    return this.request('GET', `/v1/topics/${encodeURIComponent(topic)}/scheduled${search}`, undefined, call);
  }

  /**
   * Cancels a pending delayed message so it is never delivered. Rejects with a ConflictError
   * (`ALREADY_DELIVERED`) once it was delivered, a NotFoundError when there is no such message.
   * @example
   * await client.cancelScheduled('reminders', msgId);
   */
  async cancelScheduled(topic: string, msgId: string, call?: CallOptions): Promise<void> {
    const path = `/v1/topics/${encodeURIComponent(topic)}/scheduled/${encodeURIComponent(msgId)}`;
    await this.request('DELETE', path, undefined, call);
  }

  /**
   * The message with this msgId (NotFoundError when unknown or expired).
   * @example
   * const message = await client.getMessage(msgId); // message.body, message.queueOffset, ...
   */
  getMessage(msgId: string, call?: CallOptions): Promise<MessageInfoBody> {
    return this.request('GET', `/v1/messages/${encodeURIComponent(msgId)}`, undefined, call);
  }

  /**
   * One page of a topic's messages with a key, or stored between `startTime` and `endTime`
   * (epoch ms). Pass the answer's `nextToken` back for the next page; the last has none.
   * @example
   * const { messages, nextToken } = await client.queryMessages('orders', { key: 'order-42' });
   */
  queryMessages(
    topic: string,
    options: { key?: string; startTime?: number; endTime?: number; limit?: number; nextToken?: string },
    call?: CallOptions,
  ): Promise<MessagePage> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(options)) {
      if (value !== undefined) query.set(name === 'nextToken' ? 'after' : name, String(value));
    }
    const search = query.toString() === '' ? '' : `?${query}`;
    return this.request('GET', `/v1/topics/${encodeURIComponent(topic)}/messages${search}`, undefined, call);
  }

  /**
   * A message's lifecycle events, oldest first.
   * @example
   * const { events } = await client.traceMessage(msgId); // [{ type: 'SENT', ... }, { type: 'DELIVERED', ... }]
   */
  traceMessage(msgId: string, call?: CallOptions): Promise<MessageTrace> {
    return this.request('GET', `/v1/messages/${encodeURIComponent(msgId)}/trace`, undefined, call);
  }

  /**
   * Moves a group's progress on a topic to a time or to explicit offsets (every broadcasting
   * instance, or the one `clientId` names). Deliveries from before it no longer settle.
   * @example
   * await client.resetOffset('billing', { topic: 'orders', timestamp: Date.now() - 3_600_000 });
   */
  resetOffset(group: string, request: ResetOffsetRequest, call?: CallOptions): Promise<ResetOffsetResult> {
    return this.request('POST', `/v1/groups/${encodeURIComponent(group)}/reset-offset`, request, call);
  }

  /**
   * A group's backlog per topic and queue: ready, in flight, oldest ready age, dead letters.
   * @example
   * const { topics } = await client.groupStats('billing');
   */
  groupStats(group: string, call?: CallOptions): Promise<GroupStats> {
    return this.request('GET', `/v1/groups/${encodeURIComponent(group)}/stats`, undefined, call);
  }

  /**
   * What a topic stores per queue (min and max offset, count) and its held messages.
   * @example
   * const { queues, scheduled } = await client.topicStats('orders');
   */
  topicStats(topic: string, call?: CallOptions): Promise<TopicStats> {
    return this.request('GET', `/v1/topics/${encodeURIComponent(topic)}/stats`, undefined, call);
  }

  /**
   * Registers or replaces a transactional producer group with its checker.
   * @example
   * await client.putProducerGroup('payments', { checker: { type: 'poll' }, firstCheckAfterMs: 5_000 });
   */
  putProducerGroup(name: string, options: PutProducerGroupRequest, call?: CallOptions): Promise<ProducerGroupInfo> {
    return this.request('PUT', producerGroupPath(name), options, call);
  }

  getProducerGroup(name: string, call?: CallOptions): Promise<ProducerGroupInfo> {
    return this.request('GET', producerGroupPath(name), undefined, call);
  }

  async listProducerGroups(call?: CallOptions): Promise<ProducerGroupInfo[]> {
    return (await this.request<ProducerGroupList>('GET', '/v1/producer-groups', undefined, call)).producerGroups;
  }

  async deleteProducerGroup(name: string, call?: CallOptions): Promise<void> {
    await this.request('DELETE', producerGroupPath(name), undefined, call);
  }

  /**
   * Sends one JSON request and returns the parsed response; failures become typed errors.
   * Producers and consumers use it; call it directly for routes the SDK has no method for.
   */
  async request<T>(method: string, path: string, body?: unknown, call: CallOptions = {}): Promise<T> {
    let request: HttpRequest = {
      method,
      url: `${this.endpoint}${path}`,
      headers: { accept: 'application/json', ...this.headers },
    };
    if (body !== undefined) {
      request.headers['content-type'] = 'application/json';
      request.body = JSON.stringify(body);
    }
    if (this.signer) request = await this.signer(request);
    let status: number;
    let text: string;
    let requestId: string | undefined;
    try {
      const response = await this.fetchImpl(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: call.signal,
      });
      status = response.status;
      requestId = response.headers.get('x-request-id') ?? undefined;
      text = await response.text();
    } catch (error) {
      // The caller's own abort is not a network failure: let it surface as the AbortError it is.
      if (call.signal?.aborted) throw error;
      const reason = describeNetworkFailure(error);
      throw new NetworkError('NETWORK_ERROR', `${method} ${request.url} failed: ${reason}`, {
        status: 0,
        retryable: true,
        cause: error,
      });
    }
    if (status < 200 || status >= 300) throw errorFromResponse(status, text, requestId);
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new NimbusApiError('UNEXPECTED_RESPONSE', `${method} ${request.url} answered non-JSON`, {
        status,
        requestId,
        cause: error,
      });
    }
  }
}

/** fetch says only "fetch failed"; the system error code (ECONNREFUSED, ENOTFOUND, ...) is in its cause. */
function describeNetworkFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return detail === '' || message.includes(detail) ? message : `${message} (${detail})`;
}

function producerGroupPath(name: string): string {
  return `/v1/producer-groups/${encodeURIComponent(name)}`;
}
