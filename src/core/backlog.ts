import type { Catalog } from './catalog.ts';
import type { BrokerStore } from './ports/store.ts';

export interface ConsumerLag {
  group: string;
  topic: string;
  /** Messages stored in the topic that the group has not been handed yet. */
  lag: number;
}

/** Accumulation (backlog) of consumer groups, for metrics and alarms. */
export class Backlog {
  private readonly store: BrokerStore;
  private readonly catalog: Catalog;

  constructor(store: BrokerStore, catalog: Catalog) {
    this.store = store;
    this.catalog = catalog;
  }

  /**
   * How far each clustering group's cursors trail its topics' heads, per subscription:
   * RocketMQ's consumer lag (broker offset minus consumer offset), summed over queues.
   * Messages a group's tag filter skips count until the group's next receive passes them.
   * Broadcasting groups keep progress per client instance and are not measured here.
   * @example
   * const lags = await broker.backlog.consumerLag();
   */
  async consumerLag(): Promise<ConsumerLag[]> {
    const lags: ConsumerLag[] = [];
    for (const group of await this.catalog.listGroups()) {
      if (group.consumeMode !== 'CLUSTERING') continue;
      for (const subscription of group.subscriptions) {
        const topic = await this.catalog.findTopic(subscription.topic);
        if (!topic) continue;
        const heads = await this.store.queueOffsets(topic.name, topic.queueCount);
        const cursors = await this.store.getCursors(group.name, topic.name);
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
}
