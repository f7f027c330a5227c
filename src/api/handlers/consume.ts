import type { Broker } from '../../core/broker.ts';
import { assertClientId } from '../../core/limits.ts';
import type { SettleResult } from '../../core/settlement.ts';
import { type BoundRoute, implement, param } from '../route.ts';
import { type Api, type ApiOptions, createRouter } from '../router.ts';
import { ROUTES } from '../routes.ts';
import type { SettleResultBody } from '../types.ts';
import { receivedMessageView } from '../views.ts';

/** Receive, ack, nack and change-invisible-duration. */
export function consumeRoutes(broker: Broker, options: ApiOptions = {}): BoundRoute[] {
  return [
    implement(ROUTES.receive, async (context) => {
      // Clustering groups do not use the client id, but a malformed one is still a client error.
      if (context.body.clientId !== undefined) assertClientId(context.body.clientId);
      const messages = await broker.consumer.receive(param(context, 'group'), {
        ...context.body,
        maxBodyBytes: options.maxResponseMessageBytes,
        // The transport aborts this when the client disconnects: the long-poll stops at once.
        signal: context.request.signal,
      });
      return { messages: messages.map(receivedMessageView) };
    }),
    implement(ROUTES.ack, async (context) => {
      const results = await broker.settlement.ack(param(context, 'group'), context.body.receiptHandles);
      return { results: results.map(settleView) };
    }),
    implement(ROUTES.nack, async (context) => {
      const { receiptHandles, delayMs } = context.body;
      const results = await broker.settlement.nack(param(context, 'group'), receiptHandles, delayMs);
      return { results: results.map(settleView) };
    }),
    implement(ROUTES.changeInvisibleDuration, async (context) => {
      const { receiptHandle, invisibleDurationMs } = context.body;
      return broker.settlement.changeInvisibleDuration(param(context, 'group'), receiptHandle, invisibleDurationMs);
    }),
  ];
}

function settleView(result: SettleResult): SettleResultBody {
  return result.ok
    ? { receiptHandle: result.receiptHandle, ok: true }
    : { receiptHandle: result.receiptHandle, ok: false, code: result.code, message: result.message };
}

/**
 * The consume area on its own, for a Lambda that serves consumers.
 * @example
 * const api = createConsumeHandler(broker);
 * const response = await api.handle(request);
 */
export function createConsumeHandler(broker: Broker, options?: ApiOptions): Api {
  return createRouter(consumeRoutes(broker, options), options);
}
