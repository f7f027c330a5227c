import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELEASING_TIMEOUT_MS } from '../../../src/adapters/dynamodb/held-messages.ts';
import type { DynamoDbStore, DynamoDbStoreHooks } from '../../../src/adapters/dynamodb/index.ts';
import type { MessageToAppend } from '../../../src/core/model.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

const HOLE_TIMEOUT_MS = 2_000;
const DAY = 86_400_000;

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

function delayed(topic: string, now: number, overrides: Partial<MessageToAppend> = {}): MessageToAppend {
  const msgId = randomBytes(16).toString('hex').toUpperCase();
  return {
    msgId,
    topic,
    queueId: 0,
    body: new TextEncoder().encode(`body of ${msgId}`),
    keys: [],
    properties: {},
    bornTimestamp: now,
    storeTimestamp: now,
    expireAt: now + DAY,
    deliverAt: now + 60_000,
    ...overrides,
  };
}

/**
 * How long the healthy store's readers have watched a hole: its monotonic clock, moved by the
 * tests together with the `now` they pass (readers seal only what they watched long enough).
 */
let watched = 0;

/** Two store instances on the same tables: one that dies at a chosen step, one that recovers. */
async function pair(hooks: DynamoDbStoreHooks): Promise<{ crashing: DynamoDbStore; healthy: DynamoDbStore }> {
  const tablePrefix = `h${randomBytes(4).toString('hex')}`;
  const healthy = await aws.openStore({
    tablePrefix,
    holeTimeoutMs: HOLE_TIMEOUT_MS,
    hooks: { monotonicNow: () => watched },
  });
  const crashing = await aws.openStore({ tablePrefix, holeTimeoutMs: HOLE_TIMEOUT_MS, hooks });
  return { crashing, healthy };
}

async function queueContents(store: DynamoDbStore, topic: string, now: number) {
  const read = await store.readQueue(topic, 0, 0, 100, now);
  return read.messages.map((message) => message.msgId);
}

const crash = () => {
  throw new Error('release died here');
};

describe('DynamoDB held messages: a release that dies is finished once by the next', () => {
  for (const step of ['afterHeldReleasing', 'afterHeldAppend'] as const) {
    it(`dies ${step === 'afterHeldReleasing' ? 'between HELD -> RELEASING and the append' : 'between the append and RELEASED'}; the rerun appends nothing more`, async () => {
      const { crashing, healthy } = await pair({ [step]: crash });
      const now = Date.now();
      const topic = `crash${randomBytes(3).toString('hex')}`;
      const withKey = delayed(topic, now, { messageId: 'order-1' });
      const plain = delayed(topic, now);
      await healthy.hold([
        { kind: 'DELAY', message: withKey, dueAt: now + 60_000 },
        { kind: 'DELAY', message: plain, dueAt: now + 60_000 },
      ]);
      const due = now + 61_000;
      for (const message of [withKey, plain]) {
        await expect(crashing.release(topic, message.msgId, due)).rejects.toThrow('release died here');
        // Still pending to everyone else, and still due: the sweep will find it.
        expect((await healthy.getHeld(topic, message.msgId, due))?.state).toBe('HELD');
      }
      const stillDue = (await healthy.listDueHeld('DELAY', due, 100)).filter((held) => held.message.topic === topic);
      expect(stillDue.map((held) => held.message.msgId).sort()).toEqual([withKey.msgId, plain.msgId].sort());

      // The rerun, twice: each message is appended exactly once.
      const rerun = due + 500;
      for (let run = 0; run < 2; run++) {
        for (const message of [withKey, plain]) {
          const outcome = await healthy.release(topic, message.msgId, rerun + 1_000 * run);
          expect(outcome.state).toBe('RELEASED');
          if (outcome.state !== 'RELEASED') continue;
          expect(outcome.message.msgId).toBe(message.msgId);
          expect(outcome.message.messageId).toBe(message.messageId);
          // Stored when it was appended: by the first attempt if it got that far, else by the rerun.
          expect(outcome.message.storeTimestamp).toBe(step === 'afterHeldAppend' ? due : rerun);
        }
      }
      const queued = await queueContents(healthy, topic, due + 5_000);
      expect(queued.sort()).toEqual([withKey.msgId, plain.msgId].sort());
      expect(
        await healthy
          .listDueHeld('DELAY', due + 5_000, 100)
          .then((list) => list.filter((h) => h.message.topic === topic)),
      ).toEqual([]);
      const record = await healthy.getHeld(topic, plain.msgId, due + 5_000);
      expect(record).toMatchObject({ state: 'RELEASED', queueOffset: expect.any(Number) });
    });
  }

  it('dies inside the append (its idempotency claim pending, offsets reserved); the rerun takes the claim over and appends once', async () => {
    let armed = true;
    const { crashing, healthy } = await pair({
      afterReserve: () => {
        if (armed) throw new Error('release died here');
      },
    });
    const now = Date.now();
    const topic = `inside${randomBytes(3).toString('hex')}`;
    const held = delayed(topic, now);
    await healthy.hold([{ kind: 'DELAY', message: held, dueAt: now + 1_000 }]);
    await expect(crashing.release(topic, held.msgId, now + 1_000)).rejects.toThrow('release died here');
    armed = false;
    // The claim is taken over once it is older than the hole timeout; the dead writer's offset is sealed.
    for (let run = 0; run < 2; run++) {
      const outcome = await healthy.release(topic, held.msgId, now + 2_000);
      expect(outcome.state).toBe('RELEASED');
    }
    // A reader waits out the dead writer's reserved offset (hole timeout, by its clock), then seals it.
    const first = await healthy.readQueue(topic, 0, 0, 100, now + 2_000);
    expect(first.messages).toEqual([]);
    watched += HOLE_TIMEOUT_MS;
    const read = await healthy.readQueue(topic, 0, 0, 100, now + 2_000 + HOLE_TIMEOUT_MS);
    expect(read.messages.map((message) => message.msgId)).toEqual([held.msgId]);
    expect(read.messages[0]?.queueOffset).toBe(1);
  });

  it('two drivers releasing at once append once; a cancel racing them has one winner', async () => {
    const { crashing: second, healthy: first } = await pair({});
    const now = Date.now();
    const topic = `race${randomBytes(3).toString('hex')}`;
    const messages = Array.from({ length: 8 }, () => delayed(topic, now));
    await first.hold(messages.map((message) => ({ kind: 'DELAY' as const, message, dueAt: now + 1_000 })));
    const due = now + 2_000;
    const outcomes = await Promise.all(
      messages.flatMap((message) => [
        first.release(topic, message.msgId, due),
        second.release(topic, message.msgId, due),
        second.cancelHeld(topic, message.msgId, 'cancelled by request', due),
      ]),
    );
    const queued = await queueContents(first, topic, due);
    for (const [i, message] of messages.entries()) {
      const [a, b, cancel] = outcomes.slice(i * 3, i * 3 + 3);
      const record = await first.getHeld(topic, message.msgId, due);
      if (record?.state === 'CANCELLED') {
        expect(a?.state).toBe('CANCELLED');
        expect(b?.state).toBe('CANCELLED');
        expect(cancel?.state).toBe('CANCELLED');
        expect(queued).not.toContain(message.msgId);
      } else {
        expect(record?.state).toBe('RELEASED');
        expect([a?.state, b?.state, cancel?.state]).toEqual(['RELEASED', 'RELEASED', 'RELEASED']);
        expect(queued.filter((id) => id === message.msgId)).toHaveLength(1);
      }
    }
  });

  it('a release that died RELEASING is settled by the release fence once it is judged dead: CANCELLED if nothing was appended', async () => {
    const { crashing, healthy } = await pair({ afterHeldReleasing: crash });
    const now = Date.now();
    const topic = `fence${randomBytes(3).toString('hex')}`;
    const message = delayed(topic, now);
    await healthy.hold([{ kind: 'DELAY', message, dueAt: now + 1_000 }]);
    const due = now + 1_000;
    await expect(crashing.release(topic, message.msgId, due)).rejects.toThrow('release died here');
    // While the release may still be running, it wins: the cancel writes nothing.
    expect((await healthy.cancelHeld(topic, message.msgId, 'the topic was deleted', due)).state).toBe('RELEASED');
    expect(await dueIn(healthy, topic, due)).toEqual([message.msgId]);
    const judged = due + RELEASING_TIMEOUT_MS;
    const outcome = await healthy.cancelHeld(topic, message.msgId, 'the topic was deleted', judged);
    expect(outcome).toMatchObject({ state: 'CANCELLED', held: { reason: 'the topic was deleted' } });
    expect(await dueIn(healthy, topic, judged)).toEqual([]);
    expect((await healthy.getHeld(topic, message.msgId, judged))?.state).toBe('CANCELLED');
    expect(await queueContents(healthy, topic, judged)).toEqual([]);
  });

  it('a release that died after its append is settled by the release fence as RELEASED, with the offset of its one append', async () => {
    const { crashing, healthy } = await pair({ afterHeldAppend: crash });
    const now = Date.now();
    const topic = `fenced${randomBytes(3).toString('hex')}`;
    const message = delayed(topic, now);
    await healthy.hold([{ kind: 'DELAY', message, dueAt: now + 1_000 }]);
    const due = now + 1_000;
    await expect(crashing.release(topic, message.msgId, due)).rejects.toThrow('release died here');
    const judged = due + RELEASING_TIMEOUT_MS;
    const outcome = await healthy.cancelHeld(topic, message.msgId, 'the topic was deleted', judged);
    expect(outcome).toMatchObject({ state: 'RELEASED', held: { queueOffset: 0 } });
    expect(await dueIn(healthy, topic, judged)).toEqual([]);
    expect(await healthy.getHeld(topic, message.msgId, judged)).toMatchObject({ state: 'RELEASED', queueOffset: 0 });
    expect(await queueContents(healthy, topic, judged)).toEqual([message.msgId]);
  });

  it('a release that died inside its append (claim left pending) is settled by the release fence as CANCELLED once judged dead', async () => {
    const { crashing, healthy } = await pair({ afterReserve: crash });
    const now = Date.now();
    const topic = `claimed${randomBytes(3).toString('hex')}`;
    const message = delayed(topic, now);
    await healthy.hold([{ kind: 'DELAY', message, dueAt: now + 1_000 }]);
    await expect(crashing.release(topic, message.msgId, now + 1_000)).rejects.toThrow('release died here');
    expect((await healthy.cancelHeld(topic, message.msgId, 'the topic was deleted', now + 2_000)).state).toBe(
      'RELEASED',
    );
    const judged = now + 1_000 + RELEASING_TIMEOUT_MS;
    expect((await healthy.cancelHeld(topic, message.msgId, 'the topic was deleted', judged)).state).toBe('CANCELLED');
    expect(await dueIn(healthy, topic, judged)).toEqual([]);
    expect(await queueContents(healthy, topic, judged)).toEqual([]);
  });
});

async function dueIn(store: DynamoDbStore, topic: string, now: number): Promise<string[]> {
  const due = await store.listDueHeld('DELAY', now, 1_000);
  return due.filter((held) => held.message.topic === topic).map((held) => held.message.msgId);
}
