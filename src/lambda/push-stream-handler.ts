import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import type { Catalog } from '../core/catalog.ts';
import { NimbusError } from '../core/errors.ts';
import type { PushDriverStarter } from '../push/driver-starter.ts';
import { topicsOfNewMessages } from '../push/new-message-topics.ts';
import { sharedBroker } from './broker-from-env.ts';
import { lambdaHandler, logger, metrics } from './observability.ts';
import { type PushDriverEvent, PushSubscriptionSchema, type PushSubscriptionSettings } from './push-driver-event.ts';

/** What one stream batch did. */
export interface PushStreamReport {
  /** Topics with new messages in the batch. */
  topics: string[];
  /** Subscriptions whose driver was nudged, by lane (`group` or `group@clientId`). */
  nudged: string[];
}

const SubscriptionListSchema = z.array(PushSubscriptionSchema);

/**
 * The subscriptions the stack lists in NIMBUS_PUSH_SUBSCRIPTIONS (JSON, the same settings
 * as each subscription's schedule), and the push-deliver function in NIMBUS_PUSH_DRIVER.
 */
export function pushStreamSettings(env: Readonly<Record<string, string | undefined>> = process.env): {
  driverFunction: string;
  subscriptions: PushSubscriptionSettings[];
} {
  const driverFunction = env['NIMBUS_PUSH_DRIVER'];
  const list = env['NIMBUS_PUSH_SUBSCRIPTIONS'];
  if (!driverFunction || !list) {
    throw new Error('NIMBUS_PUSH_DRIVER and NIMBUS_PUSH_SUBSCRIPTIONS must be set (the stack sets both).');
  }
  return { driverFunction, subscriptions: SubscriptionListSchema.parse(JSON.parse(list)) };
}

/**
 * The push-stream function: reads new segments from the messages table's stream (the
 * event source's filter passes only inserted segments, batched over a short window) and
 * nudges the push driver of every subscription whose group subscribes to one of their
 * topics, so the first message to an idle group is delivered within about a second. A
 * nudge is an asynchronous start of the driver; the driver's run lock still bounds the
 * invocations in flight, and a nudge that finds a run going leaves a flag it takes. A
 * failed start fails the batch, which the event source retries (nudges are idempotent).
 * @example
 * export const handler = createPushStreamHandler(awsDriverStarter(settings.driverFunction), settings.subscriptions);
 */
export function createPushStreamHandler(
  starter: PushDriverStarter,
  subscriptions: readonly PushSubscriptionSettings[],
) {
  return lambdaHandler<DynamoDBStreamEvent, PushStreamReport>(async (event) => {
    const topics = topicsOfNewMessages(event.Records ?? []);
    const report: PushStreamReport = { topics: [...topics], nudged: [] };
    const due =
      topics.size === 0 ? [] : await subscriptionsOnTopics((await sharedBroker()).catalog, subscriptions, topics);
    await Promise.all(
      due.map((subscription) => {
        const nudge: PushDriverEvent = { subscription, nudged: true };
        return starter.start(JSON.stringify(nudge));
      }),
    );
    report.nudged = due.map(laneOf);
    metrics.addMetric('PushNudges', MetricUnit.Count, due.length);
    return report;
  });
}

/** The subscriptions whose group subscribes to at least one of `topics` (groups are cached by the catalog). */
async function subscriptionsOnTopics(
  catalog: Catalog,
  subscriptions: readonly PushSubscriptionSettings[],
  topics: ReadonlySet<string>,
): Promise<PushSubscriptionSettings[]> {
  const matches = await Promise.all(
    subscriptions.map(async (subscription) => {
      try {
        const group = await catalog.getGroup(subscription.group);
        return group.subscriptions.some((entry) => topics.has(entry.topic));
      } catch (error) {
        // A subscription deployed before its group was created: nothing to deliver yet.
        if (error instanceof NimbusError && error.code === 'GROUP_NOT_FOUND') {
          logger.warn('push subscription names a group that does not exist', { group: subscription.group });
          return false;
        }
        throw error;
      }
    }),
  );
  return subscriptions.filter((_, i) => matches[i]);
}

function laneOf(subscription: PushSubscriptionSettings): string {
  return subscription.clientId === undefined ? subscription.group : `${subscription.group}@${subscription.clientId}`;
}
