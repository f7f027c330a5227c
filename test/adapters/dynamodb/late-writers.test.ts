import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RANGE_WATCH_MS } from '../../../src/adapters/dynamodb/hole-sealer.ts';
import { SETTLED_TOMBSTONE_AGE_MS } from '../../../src/adapters/dynamodb/sweeper.ts';
import { faultWorld, gate, HOLE_TIMEOUT_MS } from './fault-world.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

/** A client on DynamoDB Local without SDK retries, for middleware that stalls or drops requests. */
function rawClient() {
  return new DynamoDBClient({
    endpoint: aws.dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

const killed = {
  afterReserve: () => {
    throw new Error('writer killed after reserving');
  },
};

describe('writers that outlive a seal', () => {
  it('a writer paused after its liveness check that lands inside a range tombstone fails its send instead of answering OK', async () => {
    const w = await faultWorld(aws);
    const killer = await w.openStore({ hooks: killed });
    // The first PutItem stalls after the writer's checks, before the request is sent (a GC, a frozen container).
    const stall = gate();
    const client = rawClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutItemCommand') await stall.hold();
        return next(args);
      },
      { step: 'initialize', name: 'processPause' },
    );
    const paused = await w.openStore({ client });
    await expect(killer.append(w.messages(1, 'dead'))).rejects.toThrow('writer killed'); // offset 0 abandoned
    const late = paused.append(w.messages(1, 'late')).catch((error: unknown) => error); // offset 1
    await stall.paused;
    await w.send(w.admin, 'C'); // offset 2
    const reader = await w.openStore();
    expect(await w.readAll(reader)).toEqual([]);
    // The reader watches the gap [0, 2) longer than any writer lives, and seals it with one tombstone.
    w.clock.advance(RANGE_WATCH_MS);
    expect(await w.readAll(reader)).toEqual(['C']);
    expect(w.seals).toEqual([[0, 2]]);
    stall.release();
    // The put lands under the range tombstone: the send must not be acknowledged.
    expect(await late).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    expect(await w.readAll(reader)).toEqual(['C']);
    client.destroy();
  }, 60_000);

  it('the sweep leaves fresh one-offset tombstones alone, so a paused writer re-reserves and is delivered', async () => {
    const w = await faultWorld(aws);
    const [g1, g2] = [gate(), gate()];
    const s1 = await w.openStore({ hooks: { beforePut: () => g1.hold() } });
    const s2 = await w.openStore({ hooks: { beforePut: () => g2.hold() } });
    const first = s1.append(w.messages(1, 'one'));
    await g1.paused; // offset 0 reserved
    const second = s2.append(w.messages(1, 'two'));
    await g2.paused; // offset 1 reserved
    const reader = await w.openStore();
    expect(await w.readAll(reader)).toEqual([]);
    // Both holes are sealed once due (5 s, well inside the 60 s writer lifetime).
    w.clock.advance(HOLE_TIMEOUT_MS);
    expect(await w.readAll(reader)).toEqual([]);
    expect(w.seals).toEqual([[0, 2]]);
    // A retention sweep (nothing has expired) must not free offsets 0 and 1 under a floor.
    await reader.sweepExpired(w.clock.now(), 100);
    g2.release();
    g1.release();
    const [[two], [one]] = await Promise.all([second, first]);
    // Both puts met their tombstones and re-reserved above them.
    expect([one?.message.queueOffset, two?.message.queueOffset].sort()).toEqual([2, 3]);
    expect((await w.readAll(reader)).sort()).toEqual(['one', 'two']);
    // Once the tombstones are old, the sweep puts its floor over them.
    w.clock.advance(SETTLED_TOMBSTONE_AGE_MS);
    await reader.sweepExpired(w.clock.now(), 100);
    expect(await reader.queueOffsets('orders', 1)).toEqual([{ queueId: 0, minOffset: 2, nextOffset: 4 }]);
  }, 60_000);
});

describe('clock skew and lost responses', () => {
  it("a reader whose clock is ahead by the hole timeout does not seal a live writer (the writer's rt only shortens the wait)", async () => {
    const w = await faultWorld(aws);
    const g = gate();
    const slow = await w.openStore({ hooks: { beforePut: () => g.hold() } });
    const pending = slow.append(w.messages(1, 'live'));
    await g.paused; // reserved a moment ago, by everyone's clock
    const reader = await w.openStore();
    const skewedNow = w.clock.now() + HOLE_TIMEOUT_MS; // this container's wall clock runs 5 s ahead
    await reader.readQueue('orders', 0, 0, 10, skewedNow);
    g.release();
    const [stored] = await pending;
    expect({ seals: w.seals, offset: stored?.message.queueOffset }).toEqual({ seals: [], offset: 0 });
  }, 60_000);

  it('a reservation retried after a lost response finds its range even after other reservations got in between', async () => {
    const w = await faultWorld(aws);
    const client = rawClient();
    let dropped = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const output = await next(args);
        if (context.commandName === 'UpdateItemCommand' && dropped++ === 0) {
          // Three other writers reserve on the queue before the gateway's retry.
          for (const body of ['x1', 'x2', 'x3']) await w.send(w.admin, body);
          throw Object.assign(new Error('socket hang up after the write'), { name: 'TimeoutError' });
        }
        return output;
      },
      { step: 'initialize', name: 'dropFirstReservationResponse' },
    );
    const lossy = await w.open({}, { client });
    const first = await w.send(lossy, 'one');
    // Offset 0 belongs to the lost attempt: the retry takes it, so no group waits on it.
    expect({ firstAt: first.queueOffset, got: await w.receive(await w.open()) }).toEqual({
      firstAt: 0,
      got: ['one', 'x1', 'x2', 'x3'],
    });
    expect(w.seals).toEqual([]);
    client.destroy();
  }, 60_000);
});

it('a reservation costs 1 WCU with all 20 reservation ids remembered on the head', async () => {
  const w = await faultWorld(aws);
  const store = await w.openStore();
  for (let i = 0; i < 25; i++) await store.append(w.messages(1, `m${i}`));
  store.capacity.reset();
  await store.append(w.messages(1, 'measured'));
  expect(store.capacity.snapshot().byOperation['append.reserve']?.wcu).toBe(1);
}, 60_000);
