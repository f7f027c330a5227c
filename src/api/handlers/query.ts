import type { Broker } from '../../core/broker.ts';
import type { MessageInfo } from '../../core/message-query.ts';
import { encodeBody } from '../body-codec.ts';
import { type BoundRoute, implement, param } from '../route.ts';
import { ROUTES } from '../routes.ts';

/** Message query and trace, offset reset, group and topic stats. */
export function queryRoutes(broker: Broker): BoundRoute[] {
  const { queries, offsets, stats } = broker;
  return [
    implement(ROUTES.getMessage, async (context) => messageInfoView(await queries.getMessage(param(context, 'msgId')))),
    implement(ROUTES.queryMessages, async (context) => {
      const { key, startTime, endTime, limit } = context.query;
      const nextToken = context.query.after ?? context.query.nextToken;
      const page = await queries.queryMessages(param(context, 'topic'), { key, startTime, endTime, limit, nextToken });
      return {
        messages: page.messages.map(messageInfoView),
        ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
      };
    }),
    implement(ROUTES.traceMessage, async (context) => queries.traceMessage(param(context, 'msgId'))),
    implement(ROUTES.resetOffset, async (context) => offsets.resetOffset(param(context, 'group'), context.body)),
    implement(ROUTES.groupStats, async (context) => stats.groupStats(param(context, 'group'))),
    implement(ROUTES.topicStats, async (context) => stats.topicStats(param(context, 'topic'))),
  ];
}

/** A found message as the API answers it: the body encoded, undefined fields left out. */
export function messageInfoView(message: MessageInfo & { expireAt?: number }): Record<string, unknown> & {
  msgId: string;
  topic: string;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  keys: string[];
  properties: Record<string, string>;
  bornTimestamp: number;
  storeTimestamp: number;
} {
  const { body, expireAt: _expireAt, ...rest } = message;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  return { ...(defined as typeof rest), ...encodeBody(body) };
}
