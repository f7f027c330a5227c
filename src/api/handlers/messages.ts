import type { Broker } from '../../core/broker.ts';
import type { OutgoingMessage } from '../../core/producer.ts';
import { decodeBody } from '../body-codec.ts';
import { type BoundRoute, implement, param } from '../route.ts';
import { type Api, type ApiOptions, createRouter } from '../router.ts';
import { ROUTES } from '../routes.ts';
import type { SendMessageRequest } from '../types.ts';
import { sendResultView } from '../views.ts';
import { transactionDecisionRoutes } from './transactions.ts';

/** The send route: one message, or `{ messages: [...] }` for a batch. */
export function messageRoutes(broker: Broker): BoundRoute[] {
  return [
    implement(ROUTES.sendMessages, async (context) => {
      const topic = param(context, 'topic');
      const body = context.body;
      if ('messages' in body) {
        // Decode every body before sending: a bad one fails the batch before anything is stored.
        const results = await broker.producer.send(topic, body.messages.map(toOutgoing));
        return { results: results.map(sendResultView) };
      }
      const [result] = await broker.producer.send(topic, [toOutgoing(body)]);
      if (!result) throw new Error('the producer returned no result for one message');
      return sendResultView(result);
    }),
  ];
}

function toOutgoing(message: SendMessageRequest): OutgoingMessage {
  return {
    body: decodeBody(message.body, message.bodyEncoding),
    tag: message.tag,
    keys: message.keys,
    properties: message.properties,
    messageId: message.messageId,
    messageGroup: message.messageGroup,
    deliverAt: message.deliverAt,
    delayMs: message.delayMs,
    producerGroup: message.producerGroup,
  };
}

/**
 * The messages area on its own, for a Lambda that only sends (and commits or rolls back
 * transactions, which are sends completed).
 * @example
 * const api = createMessagesHandler(broker);
 * const response = await api.handle(request);
 */
export function createMessagesHandler(broker: Broker, options?: ApiOptions): Api {
  return createRouter([...messageRoutes(broker), ...transactionDecisionRoutes(broker)], options);
}
