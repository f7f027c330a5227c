import { parseLane } from './lane.ts';
import type { Group } from './model.ts';
import type { ConsumptionStore } from './ports/consumption-store.ts';
import type { MessageLog } from './ports/message-log.ts';

/**
 * A lane's cursors on a topic, creating the missing ones: queues the lane never consumed
 * start where the group's subscription started (or at the lowest stored offset).
 */
export async function laneCursors(
  store: ConsumptionStore & Pick<MessageLog, 'queueOffsets'>,
  group: Group,
  lane: string,
  topic: string,
  queueCount: number,
): Promise<Map<number, number>> {
  let cursors = await store.getCursors(lane, topic);
  const ownLane = parseLane(lane).clientId === undefined;
  if (ownLane && cursors.size >= queueCount) return cursors;
  // A broadcasting client's lane starts where the group's subscription starts, and never lags
  // it: when the group subscribed to the topic again, its clients skip what was sent meanwhile.
  const base = ownLane ? new Map<number, number>() : await store.getCursors(group.name, topic);
  let moved = false;
  for (const [queueId, start] of base) {
    const at = cursors.get(queueId);
    if (at === undefined || at >= start) continue;
    await store.claim({ consumer: lane, topic, queueId, fromOffset: at, toOffset: start, leases: [] });
    moved = true;
  }
  if (moved) cursors = await store.getCursors(lane, topic);
  if (cursors.size >= queueCount) return cursors;
  const heads = await store.queueOffsets(topic, queueCount);
  const missing = new Map<number, number>();
  for (const head of heads) {
    if (!cursors.has(head.queueId)) missing.set(head.queueId, base.get(head.queueId) ?? head.minOffset);
  }
  await store.initCursors(lane, topic, missing);
  return store.getCursors(lane, topic);
}
