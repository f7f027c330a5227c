import type { Broker } from '../../core/broker.ts';
import type { TransactionCheck } from '../../core/ports/transaction-checker.ts';
import type { ProducerGroup } from '../../core/producer-group.ts';
import { encodeBody } from '../body-codec.ts';
import { type BoundRoute, implement, param } from '../route.ts';
import { type Api, type ApiOptions, createRouter } from '../router.ts';
import { ROUTES } from '../routes.ts';
import type { ProducerGroupInfo, TransactionCheckBody } from '../types.ts';

/** Producer groups (register, describe, list, remove) and the poll-mode check receive. */
export function producerGroupRoutes(broker: Broker): BoundRoute[] {
  const { producerGroups, transactions } = broker;
  return [
    implement(ROUTES.putProducerGroup, async (context) =>
      producerGroupView(await producerGroups.put(param(context, 'group'), context.body)),
    ),
    implement(ROUTES.getProducerGroup, async (context) =>
      producerGroupView(await producerGroups.get(param(context, 'group'))),
    ),
    implement(ROUTES.deleteProducerGroup, async (context) => {
      await producerGroups.delete(param(context, 'group'));
    }),
    implement(ROUTES.listProducerGroups, async () => ({
      producerGroups: (await producerGroups.list()).map(producerGroupView),
    })),
    implement(ROUTES.receiveChecks, async (context) => {
      const checks = await transactions.receiveChecks(param(context, 'group'), {
        ...context.body,
        signal: context.request.signal,
      });
      return { checks: checks.map(checkView) };
    }),
  ];
}

/** Commit and rollback of a half message. */
export function transactionDecisionRoutes(broker: Broker): BoundRoute[] {
  const { transactions } = broker;
  return [
    implement(ROUTES.commitTransaction, async (context) => transactions.commit(param(context, 'transactionId'))),
    implement(ROUTES.rollbackTransaction, async (context) => {
      await transactions.rollback(param(context, 'transactionId'));
    }),
  ];
}

/**
 * Commit and rollback on their own, for the transaction-commit Lambda.
 * @example
 * const api = createTransactionDecisionHandler(broker);
 * const response = await api.handle(request);
 */
export function createTransactionDecisionHandler(broker: Broker, options?: ApiOptions): Api {
  return createRouter(transactionDecisionRoutes(broker), options);
}

/** A producer group as clients see it: a webhook's secret only as `secretSet`. */
function producerGroupView(group: ProducerGroup): ProducerGroupInfo {
  const { checker } = group;
  return {
    name: group.name,
    checker: checker.type === 'webhook' ? { type: 'webhook', url: checker.url, secretSet: true } : { ...checker },
    firstCheckAfterMs: group.firstCheckAfterMs,
    checkIntervalMs: group.checkIntervalMs,
    maxChecks: group.maxChecks,
    createdAt: group.createdAt,
  };
}

function checkView(check: TransactionCheck): TransactionCheckBody {
  return {
    transactionId: check.transactionId,
    msgId: check.msgId,
    topic: check.topic,
    producerGroup: check.producerGroup,
    checkAttempt: check.checkAttempt,
    ...encodeBody(check.body),
    ...(check.tag === undefined ? {} : { tag: check.tag }),
    keys: check.keys,
    properties: check.properties,
  };
}
