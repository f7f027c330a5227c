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

/** What an SDK call resolves to: the console's types follow the SDK, so they follow the API. */
type Answer<M extends keyof Client> = Client[M] extends (...args: never[]) => Promise<infer R> ? R : never;

/** A message as `GET /v1/messages/{msgId}` and the topic search answer it. */
export type MessageView = Answer<'getMessage'>;
export type MessagePage = Answer<'queryMessages'>;
export type MessageTrace = Answer<'traceMessage'>;
/** One step of a message's life: sent, delivered, acked, dead-lettered, redriven... */
export type TraceEvent = MessageTrace['events'][number];
export type MessageQuery = Parameters<Client['queryMessages']>[1];
export type ResetOffsetRequest = Parameters<Client['resetOffset']>[1];
export type ResetOffsetResult = Answer<'resetOffset'>;
export type GroupStats = Answer<'groupStats'>;
export type TopicStats = Answer<'topicStats'>;

/**
 * Every call the console makes, typed, through the SDK's `Client`: one place to see what
 * the console needs from the broker.
 * @example
 * const api = new ConsoleApi(new Client({ endpoint: location.origin, token }));
 * const topics = await api.listTopics();
 */
export class ConsoleApi {
  readonly client: Client;

  constructor(client: Client) {
    this.client = client;
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
    return this.client.getMessage(msgId);
  }

  queryMessages(topic: string, query: MessageQuery): Promise<MessagePage> {
    return this.client.queryMessages(topic, query);
  }

  traceMessage(msgId: string): Promise<MessageTrace> {
    return this.client.traceMessage(msgId);
  }

  resetOffset(group: string, request: ResetOffsetRequest): Promise<ResetOffsetResult> {
    return this.client.resetOffset(group, request);
  }

  groupStats(group: string): Promise<GroupStats> {
    return this.client.groupStats(group);
  }

  topicStats(topic: string): Promise<TopicStats> {
    return this.client.topicStats(topic);
  }
}
