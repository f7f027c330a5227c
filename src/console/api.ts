import {
  type Client,
  type DeadLetterPage,
  type GroupInfo,
  type GroupOptions,
  Producer,
  type ProducerGroupInfo,
  type RedriveResult,
  type SendResult,
  type TopicInfo,
  type TopicOptions,
} from '../sdk/index.ts';

/** A message as the query routes answer it. */
export interface MessageView {
  msgId: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  tag?: string;
  keys?: string[];
  properties?: Record<string, string>;
  body?: string;
  bodyEncoding?: 'utf8' | 'base64';
  bornTimestamp?: number;
  storeTimestamp?: number;
}

/** One step of a message's life: sent, stored, delivered, acked, dead-lettered, redriven... */
export interface TraceEvent {
  type: string;
  time: number;
  group?: string;
  clientId?: string;
  attempt?: number;
  queueId?: number;
  queueOffset?: number;
  reason?: string;
}

export interface MessageTrace {
  msgId: string;
  events: TraceEvent[];
}

export interface MessageQuery {
  key?: string;
  startTime?: number;
  endTime?: number;
  limit?: number;
  nextToken?: string;
}

/** Backlog of one group on one queue of a topic. */
export interface QueueBacklog {
  queueId: number;
  ready?: number;
  inFlight?: number;
  consumerOffset?: number;
  maxOffset?: number;
}

export interface GroupStats {
  group: string;
  topics: {
    topic: string;
    ready: number;
    inFlight: number;
    oldestReadyAgeMs: number;
    deadLetters: number;
    queues: QueueBacklog[];
  }[];
}

export interface TopicStats {
  topic: string;
  queues: { queueId: number; minOffset?: number; maxOffset?: number }[];
}

export interface ResetOffsetRequest {
  topic: string;
  timestamp?: number;
  offsets?: Record<string, number>;
  clientId?: string;
}

/** The query, trace and stats methods of the SDK, which newer SDKs have. */
interface QueryMethods {
  getMessage(msgId: string): Promise<MessageView>;
  queryMessages(topic: string, query: MessageQuery): Promise<{ messages: MessageView[]; nextToken?: string }>;
  traceMessage(msgId: string): Promise<MessageTrace>;
  resetOffset(group: string, request: ResetOffsetRequest): Promise<unknown>;
  groupStats(group: string): Promise<GroupStats>;
  topicStats(topic: string): Promise<TopicStats>;
}

/**
 * Every call the console makes, typed, through the SDK's `Client`. The query, trace and
 * stats calls use the SDK's own methods where it has them, else `client.request` on the
 * same routes, so the console works with an SDK of either age.
 * @example
 * const api = new ConsoleApi(new Client({ endpoint: location.origin, token }));
 * const topics = await api.listTopics();
 */
export class ConsoleApi {
  readonly client: Client;
  private readonly sdk: Partial<QueryMethods>;

  constructor(client: Client) {
    this.client = client;
    this.sdk = client as unknown as Partial<QueryMethods>;
  }

  listTopics(): Promise<TopicInfo[]> {
    return this.client.listTopics();
  }

  createTopic(name: string, options: TopicOptions): Promise<TopicInfo> {
    return this.client.createTopic(name, options);
  }

  deleteTopic(name: string): Promise<void> {
    return this.client.deleteTopic(name);
  }

  listGroups(): Promise<GroupInfo[]> {
    return this.client.listGroups();
  }

  createGroup(name: string, options: GroupOptions): Promise<GroupInfo> {
    return this.client.createGroup(name, options);
  }

  deleteGroup(name: string): Promise<void> {
    return this.client.deleteGroup(name);
  }

  listDeadLetters(group: string, after?: string): Promise<DeadLetterPage> {
    return this.client.listDeadLetters(group, { limit: 100, after });
  }

  redrive(group: string, msgIds?: string[]): Promise<RedriveResult> {
    return this.client.redriveDeadLetters(group, msgIds === undefined ? { limit: 1000 } : { msgIds });
  }

  listScheduled(topic: string, after?: string) {
    return this.client.listScheduled(topic, { limit: 100, after });
  }

  cancelScheduled(topic: string, msgId: string): Promise<void> {
    return this.client.cancelScheduled(topic, msgId);
  }

  listProducerGroups(): Promise<ProducerGroupInfo[]> {
    return this.client.listProducerGroups();
  }

  send(
    topic: string,
    message: { body: string; tag?: string; keys?: string[]; delayMs?: number; messageGroup?: string },
  ): Promise<SendResult> {
    return new Producer(this.client).send(topic, message);
  }

  getMessage(msgId: string): Promise<MessageView> {
    return this.sdk.getMessage?.call(this.client, msgId) ?? this.get(`/v1/messages/${enc(msgId)}`);
  }

  queryMessages(topic: string, query: MessageQuery): Promise<{ messages: MessageView[]; nextToken?: string }> {
    if (this.sdk.queryMessages) return this.sdk.queryMessages.call(this.client, topic, query);
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, String(value));
    const suffix = search.toString() === '' ? '' : `?${search}`;
    return this.get(`/v1/topics/${enc(topic)}/messages${suffix}`);
  }

  traceMessage(msgId: string): Promise<MessageTrace> {
    return this.sdk.traceMessage?.call(this.client, msgId) ?? this.get(`/v1/messages/${enc(msgId)}/trace`);
  }

  resetOffset(group: string, request: ResetOffsetRequest): Promise<unknown> {
    return (
      this.sdk.resetOffset?.call(this.client, group, request) ??
      this.client.request('POST', `/v1/groups/${enc(group)}/reset-offset`, request)
    );
  }

  groupStats(group: string): Promise<GroupStats> {
    return this.sdk.groupStats?.call(this.client, group) ?? this.get(`/v1/groups/${enc(group)}/stats`);
  }

  topicStats(topic: string): Promise<TopicStats> {
    return this.sdk.topicStats?.call(this.client, topic) ?? this.get(`/v1/topics/${enc(topic)}/stats`);
  }

  private get<T>(path: string): Promise<T> {
    return this.client.request<T>('GET', path);
  }
}

const enc = encodeURIComponent;
