import type { Broker } from '../../core/broker.ts';
import { type BoundRoute, implement, param } from '../route.ts';
import { ROUTES } from '../routes.ts';

/** A DELAY topic's pending messages: list them, cancel one. */
export function scheduledRoutes(broker: Broker): BoundRoute[] {
  const { scheduled } = broker;
  return [
    implement(ROUTES.listScheduled, async (context) => {
      const page = await scheduled.list(param(context, 'topic'), context.query);
      return { scheduled: page.scheduled, ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }) };
    }),
    implement(ROUTES.cancelScheduled, async (context) => {
      await scheduled.cancel(param(context, 'topic'), param(context, 'msgId'));
    }),
  ];
}
