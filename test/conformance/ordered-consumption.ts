import fc from 'fast-check';
import { expect, it } from 'vitest';
import { randomIds } from '../../src/adapters/system/system-clock.ts';
import { systemTimers } from '../../src/adapters/system/system-timers.ts';
import { type Broker, createBroker } from '../../src/core/broker.ts';
import type { ReceivedMessage } from '../../src/core/model.ts';
import type { Notifier } from '../../src/core/ports/notifier.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { ManualClock } from '../support/manual-clock.ts';

/** How big one run is: stores over the network get a smaller one. */
export interface OrderedScale {
  messageGroups: number;
  messagesPerGroup: number;
  runs: number;
  /** Random steps before the drain (consumers that ack everything) starts. */
  steps: number;
}

const CONSUMERS = 4;
const POISON = 'poison';
const MAX_ATTEMPTS = 4;
const INVISIBLE_MS = 30_000;
const decoder = new TextDecoder();

/** A notifier that never waits: the test drives time with a manual clock and receives without long-polls. */
const idle: Notifier = { publish: () => undefined, wait: async () => undefined };

type Action = 'ack' | 'nack' | 'nackBackoff' | 'forget' | 'crash';
interface Step {
  consumer: number;
  max: number;
  actions: Action[];
  advanceMs: number;
}

const stepArbitrary = fc.record({
  consumer: fc.integer({ min: 0, max: CONSUMERS - 1 }),
  max: fc.integer({ min: 1, max: 16 }),
  actions: fc.array(fc.constantFrom<Action>('ack', 'ack', 'ack', 'ack', 'nack', 'nackBackoff', 'forget', 'crash'), {
    minLength: 16,
    maxLength: 16,
  }),
  advanceMs: fc.constantFrom(0, 0, 1_000, 5_000, 31_000),
});

/**
 * Orderly consumption under random nacks, expiries and consumer crashes, 4 consumers and
 * many message groups, through the broker on a real store: per message group the acked
 * sequence is the send order (less what was dead-lettered), a message is never handed out
 * while an earlier one of its group is in flight, every group finishes (none starves),
 * and a poisoned group (every delivery nacked) only dead-letters its own messages.
 */
export function orderedConsumptionProperty(open: () => Promise<BrokerStore>, scale: OrderedScale): void {
  it('keeps every message group in send order under nacks, expiries and crashes; a poisoned group blocks no other', async () => {
    const store = await open();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: scale.steps, maxLength: scale.steps }), async (steps) => {
        const clock = new ManualClock(Date.now());
        const broker = createBroker({ timers: systemTimers, store, clock, ids: randomIds(), notifier: idle });
        await checkOneRun(broker, clock, `r${++run}x${Date.now().toString(36)}`, steps, scale);
      }),
      // No shrinking: one run drives hundreds of store calls, a shrink would take many minutes.
      { numRuns: scale.runs, endOnFailure: true },
    );
  }, 600_000);
}

async function checkOneRun(broker: Broker, clock: ManualClock, id: string, steps: Step[], scale: OrderedScale) {
  const topic = `fifo-${id}`;
  const group = `orderly-${id}`;
  await broker.catalog.putTopic(topic, { messageType: 'FIFO', queueCount: 4 });
  await broker.catalog.putGroup(group, {
    subscriptions: [{ topic, tagExpression: '*' }],
    orderly: true,
    maxDeliveryAttempts: MAX_ATTEMPTS,
  });
  const names = [...Array.from({ length: scale.messageGroups }, (_, g) => `g${g}`), POISON];
  // Interleaved sends, batches spanning groups (and so queues): the send order per group is 0, 1, 2, ...
  for (let i = 0; i < scale.messagesPerGroup; i++) {
    for (let start = 0; start < names.length; start += 16) {
      const batch = names.slice(start, start + 16).map((name) => ({
        body: new TextEncoder().encode(`${name}:${i}`),
        messageGroup: name,
      }));
      await broker.producer.send(topic, batch);
    }
  }
  const acked = new Map<string, number[]>(names.map((name) => [name, []]));
  const inFlight = new Map<string, ReceivedMessage>();
  const held: ReceivedMessage[][] = Array.from({ length: CONSUMERS }, () => []);
  /** The message group of every msgId handed out, to tell whose dead letters are whose. */
  const deadNames = new Map<string, string>();
  const deadCount = (dead: Set<string>, name: string) =>
    [...dead].filter((msgId) => deadNames.get(msgId) === name).length;

  const settleDeadLetters = async () => {
    // A group's first unsettled message may have been dead-lettered meanwhile: count it done.
    const letters = await broker.store.listDeadLetters(group, 10_000);
    const dead = new Set(letters.map((letter) => letter.msgId));
    for (const [name, message] of [...inFlight]) {
      if (dead.has(message.msgId)) inFlight.delete(name);
    }
    return dead;
  };

  const receive = async (consumer: number, max: number) => {
    const received = await broker.consumer.receive(group, { maxMessages: max, invisibleDurationMs: INVISIBLE_MS });
    const dead = await settleDeadLetters();
    for (const message of received) {
      const [name = '', index = ''] = decoder.decode(message.body).split(':');
      expect(message.messageGroup).toBe(name);
      deadNames.set(message.msgId, name);
      const earlier = inFlight.get(name);
      // Never another message while one of its group is in flight (the same one again after a nack is fine).
      if (earlier && earlier.msgId !== message.msgId && earlier.invisibleUntil > clock.now()) {
        throw new Error(`${name}: ${index} handed out while ${earlier.msgId} is in flight`);
      }
      inFlight.set(name, message);
      // Everything before it in the group is acked or dead-lettered.
      const settled = (acked.get(name)?.length ?? 0) + deadCount(dead, name);
      expect(Number(index), `${name} delivered out of order`).toBe(settled);
      held[consumer]?.push(message);
    }
  };

  const settle = async (consumer: number, action: (m: ReceivedMessage) => Action) => {
    const mine = held[consumer] ?? [];
    held[consumer] = [];
    for (const message of mine) {
      const name = message.messageGroup ?? '';
      const chosen = name === POISON ? 'nack' : action(message);
      if (chosen === 'crash') {
        // The consumer dies: everything it holds waits for its invisible time to end.
        return;
      }
      if (chosen === 'ack') {
        const [result] = await broker.settlement.ack(group, [message.receiptHandle]);
        if (result?.ok) {
          acked.get(name)?.push(Number(decoder.decode(message.body).split(':')[1]));
          inFlight.delete(name);
        }
      } else if (chosen === 'nack' || chosen === 'nackBackoff') {
        await broker.settlement.nack(group, [message.receiptHandle], chosen === 'nack' ? 0 : undefined);
      }
    }
  };

  for (const step of steps) {
    await receive(step.consumer, step.max);
    let k = 0;
    await settle(step.consumer, () => step.actions[k++ % step.actions.length] ?? 'ack');
    clock.advance(step.advanceMs);
  }
  // Drain: consumers that ack everything (the poisoned group still nacks) until all is settled.
  for (let round = 0; round < 2_000; round++) {
    const consumer = round % CONSUMERS;
    await receive(consumer, 16);
    await settle(consumer, () => 'ack');
    const dead = await settleDeadLetters();
    const open = names.filter(
      (name) => (acked.get(name)?.length ?? 0) + deadCount(dead, name) < scale.messagesPerGroup,
    );
    if (open.length === 0) break;
    if ((held[consumer]?.length ?? 0) === 0) clock.advance(INVISIBLE_MS + 1_000);
  }
  const dead = await settleDeadLetters();
  const order = Array.from({ length: scale.messagesPerGroup }, (_, i) => i);
  for (const name of names) {
    if (name === POISON) continue;
    const deadOnes = [...dead].filter((msgId) => deadNames.get(msgId) === name).length;
    // Random nacks may dead-letter a message now and then: the rest is acked in send order.
    expect(acked.get(name)?.length, `${name} starved`).toBe(scale.messagesPerGroup - deadOnes);
    const sequence = acked.get(name) ?? [];
    expect(
      [...sequence].sort((a, b) => a - b),
      `${name} acked out of order`,
    ).toEqual(sequence);
    if (deadOnes === 0) expect(sequence).toEqual(order);
  }
  expect(acked.get(POISON)).toEqual([]);
  expect([...dead].filter((msgId) => deadNames.get(msgId) === POISON)).toHaveLength(scale.messagesPerGroup);
}
