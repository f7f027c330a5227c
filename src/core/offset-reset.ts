import type { Catalog } from './catalog.ts';
import { NimbusError } from './errors.ts';
import { laneOf } from './lane.ts';
import type { Group, Topic } from './model.ts';
import type { BrokerStore } from './ports/store.ts';

export interface ResetOffsetRequest {
  topic: string;
  /** Epoch ms: every queue goes back (or forward) to its first message stored at or after it. */
  timestamp?: number;
  /** Explicit offsets per queue; queues left out keep their position. */
  offsets?: readonly { queueId: number; offset: number }[];
  /** Broadcasting groups: reset only this instance (default: every instance). */
  clientId?: string;
}

export interface ResetOffsetResult {
  group: string;
  topic: string;
  /** The lanes moved: the group, or its broadcasting instances. */
  lanes: number;
  offsets: { queueId: number; offset: number }[];
}

/** Resets consumer groups' progress on a topic, by time or to explicit offsets. */
export class OffsetReset {
  private readonly store: BrokerStore;
  private readonly catalog: Catalog;
  constructor(store: BrokerStore, catalog: Catalog) {
    this.store = store;
    this.catalog = catalog;
  }

  /**
   * Moves the group's cursors on a topic. Offsets are clamped into what the queue stores
   * (retention may have removed older ones). Leases from before the reset stop settling:
   * acking them answers RECEIPT_HANDLE_EXPIRED, and they are not redelivered.
   * @example
   * await offsets.resetOffset('billing', { topic: 'orders', timestamp: Date.now() - 3_600_000 });
   * await offsets.resetOffset('audit', { topic: 'orders', offsets: [{ queueId: 0, offset: 0 }], clientId: 'host-1' });
   */
  async resetOffset(groupName: string, request: ResetOffsetRequest): Promise<ResetOffsetResult> {
    const group = await this.catalog.getGroup(groupName);
    const topic = await this.catalog.getTopic(request.topic);
    if (!group.subscriptions.some((sub) => sub.topic === topic.name)) {
      throw new NimbusError('INVALID_ARGUMENT', `Group "${group.name}" does not subscribe to topic "${topic.name}".`);
    }
    if ((request.timestamp === undefined) === (request.offsets === undefined)) {
      throw new NimbusError('INVALID_ARGUMENT', 'A reset names either a timestamp or offsets.');
    }
    if (group.consumeMode === 'CLUSTERING' && request.clientId !== undefined) {
      throw new NimbusError('INVALID_ARGUMENT', `Group "${group.name}" is CLUSTERING: a reset names no clientId.`);
    }
    const target = await this.targets(topic, request);
    // The base first, then the listing: an instance that starts consuming in between starts
    // from the new base, and one that started before is listed and reset.
    if (group.consumeMode === 'BROADCASTING') await this.moveBase(group, topic, target, request.clientId);
    const lanes = await this.lanes(group, topic, request.clientId);
    for (const lane of lanes) await this.store.resetCursors(lane, topic.name, target);
    return {
      group: group.name,
      topic: topic.name,
      lanes: lanes.length,
      offsets: [...target].map(([queueId, offset]) => ({ queueId, offset })),
    };
  }

  private async targets(topic: Topic, request: ResetOffsetRequest): Promise<Map<number, number>> {
    const stored = await this.store.queueOffsets(topic.name, topic.queueCount);
    const target = new Map<number, number>();
    const clamp = (queueId: number, offset: number) => {
      const queue = stored[queueId];
      if (queue) target.set(queueId, Math.min(Math.max(offset, queue.minOffset), queue.nextOffset));
    };
    if (request.timestamp !== undefined) {
      const timestamp = request.timestamp;
      const found = await Promise.all(
        stored.map((queue) => this.store.offsetForTime(topic.name, queue.queueId, timestamp)),
      );
      found.forEach((offset, queueId) => {
        clamp(queueId, offset);
      });
      return target;
    }
    for (const { queueId, offset } of request.offsets ?? []) {
      if (!Number.isInteger(queueId) || queueId < 0 || queueId >= topic.queueCount) {
        throw new NimbusError('INVALID_ARGUMENT', `queueId must be an integer from 0 to ${topic.queueCount - 1}.`);
      }
      if (!Number.isInteger(offset) || offset < 0) {
        throw new NimbusError('INVALID_ARGUMENT', 'offset must be a non-negative integer.');
      }
      clamp(queueId, offset);
    }
    return target;
  }

  private async lanes(group: Group, topic: Topic, clientId: string | undefined): Promise<string[]> {
    if (group.consumeMode === 'CLUSTERING') return [group.name];
    if (clientId !== undefined) return [laneOf(group, clientId).key];
    const lanes = await this.store.listLanes(group.name, topic.name);
    return lanes.filter((lane) => lane !== group.name);
  }

  /**
   * A broadcasting instance never lags its group's own cursors (where the subscription
   * started; see lane-cursors.ts): moving instances back moves those too, so the next receive
   * does not carry them forward again. A reset of one instance lowers them only as far as it needs.
   */
  private async moveBase(
    group: Group,
    topic: Topic,
    target: ReadonlyMap<number, number>,
    clientId: string | undefined,
  ): Promise<void> {
    let base = new Map(target);
    if (clientId !== undefined) {
      const current = await this.store.getCursors(group.name, topic.name);
      base = new Map([...target].filter(([queueId, offset]) => offset < (current.get(queueId) ?? 0)));
    }
    if (base.size > 0) await this.store.resetCursors(group.name, topic.name, base);
  }
}
