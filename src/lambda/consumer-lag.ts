import type { Broker } from '../core/broker.ts';

export interface ConsumerLag {
  group: string;
  topic: string;
  /** Messages stored in the topic that the group has not been handed yet. */
  lag: number;
}

/**
 * How far each clustering group's cursors trail its topics' heads, per subscription:
 * RocketMQ's consumer lag (broker offset minus consumer offset), summed over queues.
 * Messages a group's tag filter skips count until the group's next receive passes them.
 * Broadcasting groups keep progress per client instance and are not measured here.
 * @example
 * const lags = await consumerLag(broker);
 */
export async function consumerLag(broker: Broker): Promise<ConsumerLag[]> {
  const lags: ConsumerLag[] = [];
  for (const group of await broker.catalog.listGroups()) {
    if (group.consumeMode !== 'CLUSTERING') continue;
    for (const subscription of group.subscriptions) {
      const topic = await broker.catalog.findTopic(subscription.topic);
      if (!topic) continue;
      const heads = await broker.store.queueOffsets(topic.name, topic.queueCount);
      const cursors = await broker.store.getCursors(group.name, topic.name);
      let lag = 0;
      for (const head of heads) {
        const cursor = Math.max(cursors.get(head.queueId) ?? head.minOffset, head.minOffset);
        lag += Math.max(0, head.nextOffset - cursor);
      }
      lags.push({ group: group.name, topic: topic.name, lag });
    }
  }
  return lags;
}
