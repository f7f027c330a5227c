import type { DeadLetter, MessageToAppend } from './model.ts';
import type { LeaseKey } from './ports/store.ts';
import type { Pass } from './receive-pass.ts';
import { laneFields, positionSubject, type TraceEventType } from './trace-event.ts';
import type { TraceEmission, Tracer } from './tracer.ts';

/* Builders of the consumption side's trace events, so services emit them in one line. */

/** Emits what one receive pass did: leases it redelivered or disposed of, and each delivery. */
export function deliveryEvents(tracer: Tracer, lane: string, pass: Pass, time: number): void {
  const byTopic = new Map<string, TraceEmission[]>();
  const add = (topic: string, emission: TraceEmission) => {
    const list = byTopic.get(topic) ?? [];
    list.push(emission);
    byTopic.set(topic, list);
  };
  for (const emission of pass.events ?? []) add('topic' in emission.subject ? emission.subject.topic : '', emission);
  for (const message of pass.messages) {
    const { topic, queueId, queueOffset, deliveryAttempt: attempt } = message;
    add(topic, {
      subject: positionSubject(topic, queueId, queueOffset),
      event: { type: 'DELIVERED', time, ...laneFields(lane), attempt, queueId, queueOffset },
      expireAt: message.expireAt,
    });
  }
  for (const [topic, emissions] of byTopic) tracer.emit(topic, emissions);
}

/** A settlement's event for one lease (acked, nacked, dead-lettered, redriven). */
export function leaseEvent(
  type: TraceEventType,
  key: Pick<LeaseKey, 'consumer' | 'topic' | 'queueId' | 'queueOffset'>,
  time: number,
  details: { attempt?: number; reason?: string } = {},
): TraceEmission {
  const { topic, queueId, queueOffset } = key;
  return {
    subject: positionSubject(topic, queueId, queueOffset),
    event: { type, time, ...laneFields(key.consumer), queueId, queueOffset, ...details },
  };
}

/** The trace event of a dead letter put back into delivery. */
export function redriveEvent(letter: DeadLetter, time: number): TraceEmission {
  return leaseEvent('REDRIVEN', letter, time);
}

/** A held message's event (PREPARED, COMMITTED, ROLLED_BACK, CHECKED), by msgId. */
export function heldEvent(
  type: TraceEventType,
  message: Pick<MessageToAppend, 'msgId' | 'queueId' | 'expireAt' | 'producerGroup' | 'bornHost'>,
  time: number,
  details: { queueOffset?: number; reason?: string } = {},
): TraceEmission {
  const { msgId, queueId, producerGroup: group, bornHost: host } = message;
  return { subject: { msgId }, event: { type, time, group, host, queueId, ...details }, expireAt: message.expireAt };
}
