import { expect, it } from 'vitest';
import type { Group, Topic } from '../../src/core/model.ts';
import type { ProducerGroup } from '../../src/core/producer-group.ts';
import { allLeases, type ContextRef, deadLetterOf, HOUR, holdLeases, lease, message } from './fixtures.ts';

/** Topic and group records, and what deleting them removes (and what it must leave alone). */
export function catalogConformance(ctx: ContextRef): void {
  const topicRecord = (name: string, overrides: Partial<Topic> = {}): Topic => ({
    name,
    messageType: 'NORMAL',
    queueCount: 4,
    retentionMs: 72 * HOUR,
    createdAt: ctx().clock.now(),
    ...overrides,
  });
  const groupRecord = (name: string, topics: string[], overrides: Partial<Group> = {}): Group => ({
    name,
    subscriptions: topics.map((topic) => ({ topic, tagExpression: 'TagA || TagB' })),
    consumeMode: 'CLUSTERING',
    maxDeliveryAttempts: 16,
    createdAt: ctx().clock.now(),
    ...overrides,
  });

  it('saves, replaces, lists and deletes topics', async () => {
    const { store } = ctx();
    const name = ctx().name('topic');
    expect(await store.getTopic(name)).toBeUndefined();
    await store.saveTopic(topicRecord(name));
    expect(await store.getTopic(name)).toEqual(topicRecord(name));
    const replaced = topicRecord(name, { retentionMs: 2 * HOUR, messageType: 'FIFO', queueCount: 2 });
    await store.saveTopic(replaced);
    expect(await store.getTopic(name)).toEqual(replaced);
    expect((await store.listTopics()).filter((t) => t.name === name)).toEqual([replaced]);
    expect(await store.deleteTopic(name)).toBe(true);
    expect(await store.getTopic(name)).toBeUndefined();
    expect((await store.listTopics()).some((t) => t.name === name)).toBe(false);
    expect(await store.deleteTopic(name)).toBe(false);
  });

  it('saves, replaces, lists and deletes producer groups, apart from consumer groups of the same name', async () => {
    const { store } = ctx();
    const name = ctx().name('producers');
    const webhook: ProducerGroup = {
      name,
      checker: { type: 'webhook', url: 'https://pay.example/check', secret: 's'.repeat(32) },
      firstCheckAfterMs: 6_000,
      checkIntervalMs: 30_000,
      maxChecks: 15,
      createdAt: ctx().clock.now(),
    };
    expect(await store.getProducerGroup(name)).toBeUndefined();
    await store.saveGroup(groupRecord(name, []));
    expect(await store.getProducerGroup(name)).toBeUndefined();
    await store.saveProducerGroup(webhook);
    expect(await store.getProducerGroup(name)).toEqual(webhook);
    const poll: ProducerGroup = { ...webhook, checker: { type: 'poll' }, maxChecks: 3, checkIntervalMs: 1_000 };
    await store.saveProducerGroup(poll);
    expect(await store.getProducerGroup(name)).toEqual(poll);
    expect((await store.listProducerGroups()).filter((g) => g.name === name)).toEqual([poll]);
    expect((await store.listGroups()).filter((g) => g.name === name)).toHaveLength(1);
    expect(await store.deleteProducerGroup(name)).toBe(true);
    expect(await store.getProducerGroup(name)).toBeUndefined();
    expect((await store.listProducerGroups()).some((g) => g.name === name)).toBe(false);
    expect(await store.deleteProducerGroup(name)).toBe(false);
    expect(await store.getGroup(name)).toEqual(groupRecord(name, []));
  });

  it('saves, replaces, lists and deletes groups', async () => {
    const { store } = ctx();
    const name = ctx().name('group');
    expect(await store.getGroup(name)).toBeUndefined();
    const first = groupRecord(name, [ctx().name('t')]);
    await store.saveGroup(first);
    expect(await store.getGroup(name)).toEqual(first);
    const replaced = groupRecord(name, [ctx().name('t'), ctx().name('t')], {
      consumeMode: 'BROADCASTING',
      maxDeliveryAttempts: 3,
    });
    await store.saveGroup(replaced);
    expect(await store.getGroup(name)).toEqual(replaced);
    expect((await store.listGroups()).filter((g) => g.name === name)).toEqual([replaced]);
    expect(await store.deleteGroup(name)).toBe(true);
    expect(await store.getGroup(name)).toBeUndefined();
    expect((await store.listGroups()).some((g) => g.name === name)).toBe(false);
    expect(await store.deleteGroup(name)).toBe(false);
  });

  it("deleteTopic removes the topic's messages, cursors, leases and dead letters, and nothing else", async () => {
    const { store, clock } = ctx();
    const doomed = ctx().name('doomed');
    const kept = ctx().name('kept');
    const group = ctx().name('grp');
    const lane = `${group}@c1`;
    for (const topic of [doomed, kept]) {
      await store.saveTopic(topicRecord(topic));
      await store.append([message(ctx(), topic, 0), message(ctx(), topic, 0), message(ctx(), topic, 0)]);
      for (const consumer of [group, lane]) {
        const held = [lease(ctx(), consumer, topic, 0, 0), lease(ctx(), consumer, topic, 0, 1)];
        await holdLeases(store, consumer, topic, 0, held);
        await store.deadLetter(held[1]!, held[1]!.token, deadLetterOf(ctx(), group, held[1]!));
      }
    }
    expect(await store.deleteTopic(doomed)).toBe(true);
    const now = clock.now();
    expect(await store.getTopic(doomed)).toBeUndefined();
    expect((await store.readQueue(doomed, 0, 0, 10, now)).messages).toEqual([]);
    const refs = [0, 1, 2].map((queueOffset) => ({ topic: doomed, queueId: 0, queueOffset }));
    expect(await store.getMessages(refs, now)).toEqual([undefined, undefined, undefined]);
    for (const consumer of [group, lane]) {
      expect((await store.getCursors(consumer, doomed)).size).toBe(0);
      expect((await store.getCursors(consumer, kept)).get(0)).toBe(2);
      expect((await allLeases(store, consumer)).map((l) => [l.topic, l.queueOffset])).toEqual([[kept, 0]]);
    }
    const letters = await store.listDeadLetters(group, 10);
    expect(letters.map((l) => l.topic)).toEqual([kept, kept]);
    expect((await store.readQueue(kept, 0, 0, 10, now)).messages).toHaveLength(3);
    expect(await store.getTopic(kept)).toBeDefined();
  });

  it('deleteGroup removes the state of the group lane and every group@client lane, and nothing else', async () => {
    const { store } = ctx();
    const group = ctx().name('grp');
    // Names that sort right next to `${group}@...` must survive.
    const neighbours = [`${group}A`, `${group}0`, `${group}_x`];
    const topic = ctx().name('t');
    const lanes = [group, `${group}@c1`, `${group}@c2:host`];
    const others = neighbours.flatMap((n) => [n, `${n}@c1`]);
    await store.saveGroup(groupRecord(group, [topic]));
    for (const n of neighbours) await store.saveGroup(groupRecord(n, [topic]));
    for (const consumer of [...lanes, ...others]) {
      const owner = consumer.split('@')[0]!;
      const held = [lease(ctx(), consumer, topic, 0, 0), lease(ctx(), consumer, topic, 0, 1)];
      await holdLeases(store, consumer, topic, 0, held);
      await store.deadLetter(held[1]!, held[1]!.token, deadLetterOf(ctx(), owner, held[1]!));
    }
    expect(await store.deleteGroup(group)).toBe(true);
    expect(await store.getGroup(group)).toBeUndefined();
    for (const consumer of lanes) {
      expect((await store.getCursors(consumer, topic)).size).toBe(0);
      expect(await allLeases(store, consumer)).toEqual([]);
      expect(await store.nextLeaseVisibleAt(consumer)).toBeUndefined();
    }
    expect(await store.listDeadLetters(group, 10)).toEqual([]);
    for (const consumer of others) {
      expect((await store.getCursors(consumer, topic)).get(0)).toBe(2);
      expect(await allLeases(store, consumer)).toHaveLength(1);
    }
    for (const n of neighbours) {
      expect(await store.getGroup(n)).toBeDefined();
      expect(await store.listDeadLetters(n, 10)).toHaveLength(2);
    }
  });
}
