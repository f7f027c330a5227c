import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RANGE_WATCH_MS } from '../../../src/adapters/dynamodb/hole-sealer.ts';
import { NimbusError } from '../../../src/core/errors.ts';
import { faultWorld, gate, HOLE_TIMEOUT_MS, text } from './fault-world.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

/** Reservations a killed writer abandons: two batches this wide put the paused writer inside a wide gap. */
const ABANDONED = 2_100;

describe('sealing holes on DynamoDB', () => {
  it('a writer paused inside thousands of abandoned offsets is never acknowledged under a seal: it re-reserves and is delivered once', async () => {
    const w = await faultWorld(aws);
    const killer = await w.openStore({
      hooks: {
        afterReserve: () => {
          throw new Error('writer killed after reserving');
        },
      },
    });
    const paused = gate();
    const slow = await w.open({ beforePut: () => paused.hold() });
    await w.send(w.admin, 'A');
    await expect(killer.append(w.messages(ABANDONED, 'lost'))).rejects.toThrow('writer killed');
    const late = w.send(slow, 'late');
    await paused.paused;
    await expect(killer.append(w.messages(ABANDONED, 'lost'))).rejects.toThrow('writer killed');
    const after = await w.send(w.admin, 'C');
    expect(after.queueOffset).toBe(2 * ABANDONED + 2);

    const consumer = await w.open();
    expect(await w.receive(consumer)).toEqual(['A']);
    expect(await w.receive(consumer)).toEqual([]);
    w.clock.advance(HOLE_TIMEOUT_MS);
    expect(await w.receive(consumer)).toEqual(['C']);
    // Sealed offset by offset, in contiguous steps from the first missing offset to C.
    expect(w.seals[0]?.[0]).toBe(1);
    expect(w.seals.at(-1)?.[1]).toBe(after.queueOffset);
    w.seals.forEach(([from], i) => {
      if (i > 0) expect(from).toBe(w.seals[i - 1]?.[1]);
    });

    paused.release();
    const stored = await late;
    expect(stored.queueOffset).toBe((after.queueOffset ?? -1) + 1);
    expect(await w.receive(consumer)).toEqual(['late']);
    expect(await w.receive(consumer)).toEqual([]);
  }, 120_000);

  it('a gap watched longer than any writer may live is sealed with one range tombstone, and a writer that outlived it fails its send', async () => {
    const w = await faultWorld(aws);
    const killer = await w.openStore({
      hooks: {
        afterReserve: () => {
          throw new Error('writer killed after reserving');
        },
      },
    });
    const paused = gate();
    const slow = await w.open({ beforePut: () => paused.hold() });
    await expect(killer.append(w.messages(ABANDONED, 'lost'))).rejects.toThrow('writer killed');
    const late = w.send(slow, 'late').catch((error: unknown) => error);
    await paused.paused;
    const after = await w.send(w.admin, 'C');

    const consumer = await w.open();
    expect(await w.receive(consumer)).toEqual([]);
    w.clock.advance(RANGE_WATCH_MS);
    expect(await w.receive(consumer)).toEqual(['C']);
    expect(w.seals).toEqual([[0, after.queueOffset]]);

    paused.release();
    const error = await late;
    expect(error).toBeInstanceOf(NimbusError);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    // Retried, as the client does on a retryable error: stored and delivered once.
    await w.send(w.admin, 'late');
    expect(await w.receive(consumer)).toEqual(['late']);
    expect(await w.receive(consumer)).toEqual([]);
  }, 120_000);

  it('a container that never saw the hole seals it after a fifth of the timeout when the stored data says it is due', async () => {
    const w = await faultWorld(aws);
    const killer = await w.open({
      afterReserve: () => {
        throw new Error('writer killed after reserving');
      },
    });
    await expect(w.send(killer, 'lost')).rejects.toThrow('writer killed');
    await w.send(w.admin, 'C');
    w.clock.advance(HOLE_TIMEOUT_MS);
    // A fresh store instance: no memory of the hole, only the reservation time of C above it.
    const fresh = await w.open();
    expect(await w.receive(fresh)).toEqual([]);
    w.clock.advance(HOLE_TIMEOUT_MS / 5 - 1);
    expect(await w.receive(fresh)).toEqual([]);
    w.clock.advance(1);
    expect(await w.receive(fresh)).toEqual(['C']);
    expect(w.seals).toEqual([[0, 1]]);
  });

  it('a lane started at the lowest stored offset does not skip a reservation still being written below it', async () => {
    const w = await faultWorld(aws);
    const paused = gate();
    const slow = await w.open({ beforePut: () => paused.hold() });
    const late = w.send(slow, 'late');
    await paused.paused;
    await w.send(w.admin, 'B');
    const [head] = await w.admin.store.queueOffsets('orders', 1);
    expect(head).toEqual({ queueId: 0, minOffset: 0, nextOffset: 2 });
    paused.release();
    expect((await late).queueOffset).toBe(0);
    const read = await w.admin.store.readQueue('orders', 0, head!.minOffset, 10, w.clock.now());
    expect(read.messages.map((m) => text(m.body))).toEqual(['late', 'B']);
  });
});
