import { parseLane } from './lane.ts';
import type { MessageRef } from './model.ts';

/** Lifecycle events of a message, as the trace records and answers them. */

export const TRACE_EVENT_TYPES = [
  'SENT',
  'SCHEDULED',
  'CANCELLED',
  'RELEASED',
  'PREPARED',
  'COMMITTED',
  'ROLLED_BACK',
  'CHECKED',
  'DELIVERED',
  'ACKED',
  'NACKED',
  'INVISIBLE_EXPIRED',
  'DEAD_LETTERED',
  'REDRIVEN',
] as const;
export type TraceEventType = (typeof TRACE_EVENT_TYPES)[number];

export interface TraceEvent {
  type: TraceEventType;
  /** Epoch ms. */
  time: number;
  group?: string;
  clientId?: string;
  attempt?: number;
  queueId?: number;
  queueOffset?: number;
  requestId?: string;
  host?: string;
  /** Why: a check-back's decision, a dead letter's reason, a cancellation's cause. */
  reason?: string;
}

/** The trace subject of a message before it has a queue position. */
export function msgIdSubject(msgId: string): { msgId: string } {
  return { msgId };
}

/** The trace subject of a message at its queue position. */
export function positionSubject(topic: string, queueId: number, queueOffset: number): MessageRef {
  return { topic, queueId, queueOffset };
}

/** Splits a lane (`group` or `group@clientId`) for a trace event. */
export function laneFields(lane: string): { group: string; clientId?: string } {
  const { group, clientId } = parseLane(lane);
  return clientId === undefined ? { group } : { group, clientId };
}
