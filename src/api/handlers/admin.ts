import type { Broker } from '../../core/broker.ts';
import { buildOpenApiDocument } from '../openapi.ts';
import { type BoundRoute, implement, param } from '../route.ts';
import { type Api, type ApiOptions, createRouter } from '../router.ts';
import { ROUTES } from '../routes.ts';
import { deadLetterView, groupView, topicView } from '../views.ts';
import { scheduledRoutes } from './scheduled.ts';

/** Topics, groups and dead-letter queues. */
export function adminRoutes(broker: Broker, options: ApiOptions = {}): BoundRoute[] {
  const { catalog, deadLetters } = broker;
  return [
    implement(ROUTES.putTopic, async (context) =>
      topicView(await catalog.putTopic(param(context, 'topic'), context.body)),
    ),
    implement(ROUTES.getTopic, async (context) => topicView(await catalog.getTopic(param(context, 'topic')))),
    implement(ROUTES.deleteTopic, async (context) => {
      await catalog.deleteTopic(param(context, 'topic'));
    }),
    implement(ROUTES.listTopics, async () => ({ topics: (await catalog.listTopics()).map(topicView) })),
    implement(ROUTES.putGroup, async (context) => {
      const subscriptions = context.body.subscriptions.map((sub) => ({
        topic: sub.topic,
        tagExpression: sub.tagExpression ?? '*',
      }));
      return groupView(await catalog.putGroup(param(context, 'group'), { ...context.body, subscriptions }));
    }),
    implement(ROUTES.getGroup, async (context) => groupView(await catalog.getGroup(param(context, 'group')))),
    implement(ROUTES.deleteGroup, async (context) => {
      await catalog.deleteGroup(param(context, 'group'));
    }),
    implement(ROUTES.listGroups, async () => ({ groups: (await catalog.listGroups()).map(groupView) })),
    implement(ROUTES.listDeadLetters, async (context) => {
      const { limit, after } = context.query;
      const page = await deadLetters.page(param(context, 'group'), {
        limit,
        after,
        maxBodyBytes: options.maxResponseMessageBytes,
      });
      return {
        deadLetters: page.letters.map(deadLetterView),
        ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
      };
    }),
    implement(ROUTES.redriveDeadLetters, async (context) => deadLetters.redrive(param(context, 'group'), context.body)),
  ];
}

/** The OpenAPI document and the health check: they need no broker. */
export function metaRoutes(): BoundRoute[] {
  return [
    implement(ROUTES.openapi, async () => buildOpenApiDocument()),
    implement(ROUTES.health, async () => ({ status: 'ok' as const })),
  ];
}

/**
 * The admin area on its own (topics, groups, DLQ, scheduled messages, OpenAPI, health), for an admin Lambda.
 * @example
 * const api = createAdminHandler(broker);
 * const response = await api.handle(request);
 */
export function createAdminHandler(broker: Broker, options?: ApiOptions): Api {
  return createRouter([...adminRoutes(broker, options), ...scheduledRoutes(broker), ...metaRoutes()], options);
}
