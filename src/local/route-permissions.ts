import { decodeTransactionId } from '../core/transaction-id.ts';
import type { Action } from './access-policy.ts';
import type { MatchedRoute } from './route-match.ts';

/** One thing a request needs: an action on a resource such as `topic:orders` or `group:*`. */
export interface Requirement {
  action: Action;
  resource: string;
}

/**
 * What a route needs: `'open'` (no token at all), or the requirements a valid token's
 * principal must meet (none: any valid token will do).
 */
export type Rule = 'open' | ((route: MatchedRoute, body: unknown) => Requirement[]);

/** Rule builders: the action on the resource a route's path names. */
export const onTopic =
  (action: Action): Rule =>
  ({ params }) => [{ action, resource: `topic:${params.topic}` }];
export const onGroup =
  (action: Action): Rule =>
  ({ params }) => [{ action, resource: `group:${params.group}` }];
/** Producer-group routes name the group `{group}` in their path (`/v1/producer-groups/{group}`). */
export const onProducerGroup =
  (action: Action): Rule =>
  ({ params }) => [{ action, resource: `producer-group:${params.group}` }];
/** Lists answer every name of a kind, so they need the action on all of them (`*` or `topic:*`). */
export const onAll =
  (kind: 'topic' | 'group' | 'producer-group'): Rule =>
  () => [{ action: 'ADMIN', resource: `${kind}:*` }];

/**
 * THE table from route (operationId) to the permissions it needs, modelled on RocketMQ's
 * ACL 2.0: PUB on a topic to send; SUB on a group to receive and settle; ADMIN on the
 * resource for everything else. A route missing here needs ADMIN on `*`, so a route added
 * without an entry is closed rather than open. Adding a route is one line.
 */
export const ROUTE_PERMISSIONS: Readonly<Record<string, Rule>> = {
  getHealth: 'open',
  // The API's description names no data; any valid token may read it.
  getOpenApiDocument: () => [],
  putTopic: onTopic('ADMIN'),
  getTopic: onTopic('ADMIN'),
  deleteTopic: onTopic('ADMIN'),
  listTopics: onAll('topic'),
  putGroup: subscribeGroup,
  getGroup: onGroup('ADMIN'),
  deleteGroup: onGroup('ADMIN'),
  listGroups: onAll('group'),
  sendMessages: sendAs,
  receiveMessages: onGroup('SUB'),
  ackMessages: onGroup('SUB'),
  nackMessages: onGroup('SUB'),
  changeInvisibleDuration: onGroup('SUB'),
  listDeadLetters: onGroup('ADMIN'),
  redriveDeadLetters: onGroup('ADMIN'),
  listScheduledMessages: onTopic('ADMIN'),
  // Taking back a message one sent, like a transaction's rollback: a publisher's right.
  cancelScheduledMessage: onTopic('PUB'),
  putProducerGroup: registerProducerGroup,
  getProducerGroup: onProducerGroup('ADMIN'),
  deleteProducerGroup: onProducerGroup('ADMIN'),
  listProducerGroups: onAll('producer-group'),
  receiveTransactionChecks: receiveChecksOf,
  commitTransaction: onTransactionTopic,
  // A msgId names no topic before it is looked up: reading any message needs ADMIN on every topic.
  getMessage: onAll('topic'),
  traceMessage: onAll('topic'),
  queryMessages: onTopic('ADMIN'),
  getTopicStats: onTopic('ADMIN'),
  getGroupStats: onGroup('ADMIN'),
  resetOffset: onGroup('ADMIN'),
  rollbackTransaction: onTransactionTopic,
};

/**
 * Commit and rollback publish (or withdraw) a message: PUB on the topic its transaction id
 * names and on its producer group, as sending it did. An id that names nothing needs no
 * more than a valid token: the API answers 400.
 */
function onTransactionTopic(route: MatchedRoute): Requirement[] {
  try {
    const ref = decodeTransactionId(route.params.transactionId ?? '');
    const needs: Requirement[] = [{ action: 'PUB', resource: `topic:${ref.topic}` }];
    // An id of the first format names no group, and anyone can edit one into it: PUB on every group.
    needs.push({ action: 'PUB', resource: `producer-group:${ref.producerGroup ?? '*'}` });
    return needs;
  } catch {
    return [];
  }
}

/**
 * Creating a group subscribed to a topic is what later lets SUB on the group read the
 * topic: it needs ADMIN on the group and SUB on every topic it subscribes to, as RocketMQ
 * asks SUB on both the group and the topic.
 */
function subscribeGroup(route: MatchedRoute, body: unknown): Requirement[] {
  const needs: Requirement[] = [{ action: 'ADMIN', resource: `group:${route.params.group}` }];
  const subscriptions = (body as { subscriptions?: unknown } | undefined)?.subscriptions;
  if (!Array.isArray(subscriptions)) return needs;
  for (const subscription of subscriptions) {
    const topic = (subscription as { topic?: unknown } | null)?.topic;
    if (typeof topic === 'string') needs.push({ action: 'SUB', resource: `topic:${topic}` });
  }
  return needs;
}

/**
 * Sending names a producer group (`producerGroup`, on a message or each of a batch): its
 * checker is then driven by these half messages, so the sender needs PUB on the producer
 * group as well as on the topic.
 */
function sendAs(route: MatchedRoute, body: unknown): Requirement[] {
  const needs: Requirement[] = [{ action: 'PUB', resource: `topic:${route.params.topic}` }];
  const batch = (body as { messages?: unknown } | null | undefined)?.messages;
  const groups = new Set<string>();
  for (const message of Array.isArray(batch) ? batch : [body]) {
    const group = (message as { producerGroup?: unknown } | null | undefined)?.producerGroup;
    if (typeof group === 'string') groups.add(group);
  }
  for (const group of groups) needs.push({ action: 'PUB', resource: `producer-group:${group}` });
  return needs;
}

/**
 * Answering check-backs is what a transactional producer does: PUB on its producer group.
 * A check carries its half message's body, so the poller also needs PUB on every topic it
 * asks checks of (`topics`), or on all of them (`topic:*`) when it names none.
 */
function receiveChecksOf(route: MatchedRoute, body: unknown): Requirement[] {
  const needs: Requirement[] = [{ action: 'PUB', resource: `producer-group:${route.params.group}` }];
  // Before the body is read only the producer group is certain; the topics are checked after.
  if (body === BODY_NOT_READ) return needs;
  const topics = (body as { topics?: unknown } | null | undefined)?.topics;
  const named = Array.isArray(topics) ? topics.filter((topic): topic is string => typeof topic === 'string') : [];
  // A malformed `topics` is refused by the API (400); until then it asks the most.
  for (const topic of named.length > 0 ? named : ['*']) needs.push({ action: 'PUB', resource: `topic:${topic}` });
  return needs;
}

/**
 * A `lambda` or `webhook` checker makes the broker invoke that function (with the broker's
 * AWS credentials) or POST to that URL (from inside the network) on every check-back: only
 * someone who may do anything (ADMIN on `*`) may point it there. A `poll` checker needs
 * ADMIN on the producer group alone.
 */
function registerProducerGroup(route: MatchedRoute, body: unknown): Requirement[] {
  const needs: Requirement[] = [{ action: 'ADMIN', resource: `producer-group:${route.params.group}` }];
  const type = (body as { checker?: { type?: unknown } | null } | null | undefined)?.checker?.type;
  if (type !== undefined && type !== 'poll') needs.push({ action: 'ADMIN', resource: '*' });
  return needs;
}

/** What rules get as the body of a request whose body has not been read yet. */
export const BODY_NOT_READ: unique symbol = Symbol('body not read');

/**
 * Routes whose requirements depend on the body. The server checks every route's
 * body-free requirements before reading the body, and these again once it is read.
 */
export const BODY_DEPENDENT_ROUTES: ReadonlySet<string> = new Set([
  'putGroup',
  'sendMessages',
  'putProducerGroup',
  'receiveTransactionChecks',
]);

/** Conservative default for a route the table does not know. */
const UNKNOWN_ROUTE: Requirement[] = [{ action: 'ADMIN', resource: '*' }];

/**
 * What a request needs: `'open'` for the health check, otherwise the requirements of its
 * route. A path that matches no route needs only a valid token (the answer is a 404).
 * @example
 * requirementsOf({ operationId: 'sendMessages', params: { topic: 'orders' } }, undefined);
 * // [{ action: 'PUB', resource: 'topic:orders' }]
 */
export function requirementsOf(route: MatchedRoute | undefined, body: unknown): 'open' | Requirement[] {
  if (route === undefined) return [];
  if (!Object.hasOwn(ROUTE_PERMISSIONS, route.operationId)) return UNKNOWN_ROUTE;
  const rule = ROUTE_PERMISSIONS[route.operationId] as Rule;
  return rule === 'open' ? 'open' : rule(route, body);
}
