import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultWorld, gate } from './fault-world.ts';
import { type LocalAws, startLocalAws } from './local-store.ts';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

/** A writer's own retry budget in these tests: 3 attempts, a few ms apart. */
const RETRY = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

describe('a failing writer does not stall the queue', () => {
  it('a throttled key-index write fails its send but other groups never wait for a hole timeout', async () => {
    const w = await faultWorld(aws);
    await w.admin.catalog.putGroup('audit', { subscriptions: [{ topic: 'orders', tagExpression: '*' }] });
    const hot = await w.open({ throttle: (command) => command === 'BatchWriteItemCommand' }, { retry: RETRY });
    await w.send(w.admin, 'before');
    await expect(w.send(hot, 'hot', { keys: ['hot-key'] })).rejects.toMatchObject({ code: 'STORE_THROTTLED' });
    await w.send(w.admin, 'after');
    // The clock has not moved: the stall is at most the writer's own retries, never the hole timeout.
    const consumer = await w.open();
    expect(await w.receive(consumer)).toEqual(['before', 'hot', 'after']);
    const audit = await consumer.consumer.receive('audit', { maxMessages: 32 });
    expect(audit).toHaveLength(3);
    expect(w.seals).toEqual([]);
  });

  it('a segment put that runs out of retries leaves a void, not a hole', async () => {
    const w = await faultWorld(aws);
    let throttled = 0;
    const flaky = await w.open(
      { throttle: (command) => command === 'PutItemCommand' && throttled++ < RETRY.maxAttempts },
      { retry: RETRY },
    );
    await w.send(w.admin, 'before');
    await expect(w.send(flaky, 'throttled')).rejects.toMatchObject({ code: 'STORE_THROTTLED' });
    await w.send(w.admin, 'after');
    expect(await w.receive(await w.open())).toEqual(['before', 'after']);
    expect(w.seals).toEqual([]);
    expect(await w.admin.store.queueOffsets('orders', 1)).toEqual([{ queueId: 0, minOffset: 0, nextOffset: 3 }]);
  });

  it('a reservation whose response was lost is retried without abandoning a range', async () => {
    const w = await faultWorld(aws);
    const client = new DynamoDBClient({
      endpoint: aws.dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    let dropped = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const output = await next(args);
        if (context.commandName === 'UpdateItemCommand' && dropped++ === 0) {
          throw Object.assign(new Error('socket hang up after the write'), { name: 'TimeoutError' });
        }
        return output;
      },
      { step: 'initialize', name: 'dropFirstReservationResponse' },
    );
    const lossy = await w.open({}, { client });
    const first = await w.send(lossy, 'one');
    const second = await w.send(w.admin, 'two');
    expect([dropped, first.queueOffset, second.queueOffset]).toEqual([1, 0, 1]);
    expect(await w.receive(await w.open())).toEqual(['one', 'two']);
    expect(w.seals).toEqual([]);
    client.destroy();
  });

  it('an idempotent retry of a send whose key index write failed writes the key entries', async () => {
    const w = await faultWorld(aws);
    const hot = await w.open({ throttle: (command) => command === 'BatchWriteItemCommand' }, { retry: RETRY });
    const send = { keys: ['hot-key'], messageId: 'pay-1' };
    await expect(w.send(hot, 'hot', send)).rejects.toMatchObject({ code: 'STORE_THROTTLED' });
    const retried = await w.send(w.admin, 'hot', send);
    expect(retried.duplicate).toBe(true);
    const client = new DynamoDBClient({
      endpoint: aws.dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const entries = await client.send(
      new QueryCommand({
        TableName: `${w.prefix}-index`,
        KeyConditionExpression: 'p = :p',
        ExpressionAttributeValues: { ':p': { S: 'K#orders#hot-key' } },
      }),
    );
    expect(entries.Items?.map((item) => Number(item['o']?.N))).toEqual([retried.queueOffset]);
    client.destroy();
  });

  it('duplicate keys straight to the store: stored once per key, and the queue flows on', async () => {
    const w = await faultWorld(aws);
    const [result] = await w.admin.store.append(w.messages(1, 'dup', { keys: ['a', 'a', 'b', 'a'] }));
    expect(result?.message.keys).toEqual(['a', 'b']);
    await w.admin.store.append(w.messages(1, 'next'));
    expect(await w.readAll(w.admin.store)).toEqual(['dup', 'next']);
    const [read] = (await w.admin.store.readQueue('orders', 0, 0, 1, w.clock.now())).messages;
    expect(read?.keys).toEqual(['a', 'b']);
    // A key DynamoDB could not index is refused before an offset is taken.
    await expect(w.admin.store.append(w.messages(1, 'x', { keys: ['k'.repeat(3_000)] }))).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
    expect((await w.admin.store.queueOffsets('orders', 1))[0]?.nextOffset).toBe(2);
    expect(w.seals).toEqual([]);
  });
});

describe('edges of retention, deletion and idempotency', () => {
  it('a sweep that dies between the remainder and the floor loses nothing, with expiries that differ in one segment', async () => {
    const w = await faultWorld(aws);
    const soon = w.clock.now() + 1_000;
    const batch = w.messages(8, 'm').map((message, i) => ({ ...message, expireAt: i < 4 ? soon : soon + 60_000 }));
    await w.admin.store.append(batch);
    const dying = await w.openStore({
      hooks: {
        betweenSweepWrites: () => {
          throw new Error('sweep died');
        },
      },
    });
    w.clock.set(soon);
    await expect(dying.sweepExpired(soon, 100)).rejects.toThrow('sweep died');
    expect(await w.readAll(w.admin.store)).toEqual(['m-4', 'm-5', 'm-6', 'm-7']);
    expect(await w.admin.store.sweepExpired(soon, 100)).toBe(4);
    expect(await w.readAll(w.admin.store)).toEqual(['m-4', 'm-5', 'm-6', 'm-7']);
    expect(await w.admin.store.queueOffsets('orders', 1)).toEqual([{ queueId: 0, minOffset: 4, nextOffset: 8 }]);
  });

  it("a late writer's segment of a deleted topic never surfaces in a re-created topic of the same name", async () => {
    const w = await faultWorld(aws);
    const [first, second] = [gate(), gate()];
    const lateFirst = await w.open({ beforePut: () => first.hold() });
    const lateSecond = await w.open({ beforePut: () => second.hold() });
    const atZero = w.send(lateFirst, 'old-0').catch((error: unknown) => error);
    await first.paused;
    const atOne = w.send(lateSecond, 'old-1');
    await second.paused;
    // A container that sent to the topic before the delete still knows its incarnation.
    const knowing = await w.openStore();
    await knowing.append(w.messages(1, 'old-2'));

    await w.admin.catalog.deleteTopic('orders');
    // Reservations after the fence are refused: from the container that knew the topic, and from one that looks it up now.
    await expect(knowing.append(w.messages(1, 'old-3'))).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND' });
    await expect((await w.openStore()).append(w.messages(1, 'old-4'))).rejects.toMatchObject({
      code: 'TOPIC_NOT_FOUND',
    });
    await w.admin.catalog.putTopic('orders', { queueCount: 1 });
    // 'billing' subscribed before the delete and is not re-saved: its lane starts at the lowest stored offset.
    const fresh = await w.send(w.admin, 'fresh');
    expect(fresh.queueOffset).toBe(3);

    first.release();
    second.release();
    // The writer at offset 0 meets the deletion's floor, and may not re-reserve in the new topic.
    expect(await atZero).toMatchObject({ code: 'TOPIC_NOT_FOUND' });
    // The one at offset 1 lands under the floor: stored in the deleted topic, never read.
    expect((await atOne).queueOffset).toBe(1);
    // The container that knew the old topic learns the new one and writes to it.
    const [renewed] = await knowing.append(w.messages(1, 'new'));
    expect(renewed?.message.queueOffset).toBe(4);
    const consumer = await w.open();
    expect(await w.receive(consumer)).toEqual(['fresh', 'new']);
    expect(await w.readAll(w.admin.store)).toEqual(['fresh', 'new']);
    expect(await w.admin.store.queueOffsets('orders', 1)).toEqual([{ queueId: 0, minOffset: 3, nextOffset: 5 }]);
  });

  it('an idempotent retry after a lost response takes over the pending claim soon, and both answers name one message', async () => {
    const w = await faultWorld(aws);
    const paused = gate();
    const firstSender = await w.open({ beforePut: () => paused.hold() });
    const first = w.send(firstSender, 'pay', { messageId: 'order-7' });
    await paused.paused;
    const retry = w.send(await w.open(), 'pay', { messageId: 'order-7' });
    w.clock.advance(2_001); // the takeover time is 2 s
    const retried = await retry;
    expect(retried.duplicate).toBe(false);
    paused.release();
    const original = await first;
    expect(original).toEqual({ ...retried, duplicate: true });
    expect(await w.receive(await w.open())).toEqual(['pay']);
    expect(await w.readAll(w.admin.store)).toEqual(['pay']);
  });
});
