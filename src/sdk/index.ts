/**
 * The Nimbus MQ client for Node and browsers: admin calls on `Client`, sending with
 * `Producer`, pulling with `SimpleConsumer`, callback-driven consumption with `PushConsumer`.
 * @example
 * import { Client, Producer } from './src/sdk/index.ts';
 * const client = new Client({ endpoint: 'http://127.0.0.1:9800' });
 * await new Producer(client).send('orders', 'hello');
 */

export type {
  ConsumeMode,
  DeadLetterInfo,
  DeadLetterList as DeadLetterPage,
  ErrorCode,
  GroupInfo,
  MessageType,
  ProducerGroupInfo,
  PutProducerGroupRequest,
  RedriveResult,
  TopicInfo,
} from '../api/types.ts';
export {
  type CallOptions,
  Client,
  type ClientOptions,
  type GroupOptions,
  type HttpRequest,
  type RequestSigner,
  type TopicOptions,
} from './client.ts';
export * from './errors.ts';
export { ReceivedMessage } from './message.ts';
export { type MessageBody, type OutgoingMessage, Producer, type SendResult } from './producer.ts';
export { PushConsumer, type PushConsumerOptions } from './push-consumer.ts';
export {
  generateClientId,
  type ReceiveOptions,
  type Settleable,
  type SettleResult,
  SimpleConsumer,
  type SimpleConsumerOptions,
} from './simple-consumer.ts';
export {
  SIGNATURE_HEADER,
  TransactionCheck,
  type TransactionDecision,
  verifyWebhookSignature,
  type WebhookCheckOptions,
  type WebhookReply,
  webhookCheckHandler,
} from './transaction-check.ts';
export {
  type CommitResult,
  type HalfMessage,
  type LocalTransaction,
  type PollChecksOptions,
  type TransactionOutcome,
  TransactionProducer,
} from './transaction-producer.ts';
