import { expect, it } from 'vitest';
import type { ContextRef } from './fixtures.ts';

const MINUTE = 60_000;

/** Named locks: exclusive while held, free after expiry or release, renewable by their owner. */
export function lockConformance(ctx: ContextRef): void {
  it('is exclusive while held, also for an owner that asks again later', async () => {
    const { store, clock } = ctx();
    const name = ctx().name('lock');
    const t = clock.now();
    expect(await store.acquireLock(name, 'run-a', t + MINUTE, t)).toBe(true);
    expect(await store.acquireLock(name, 'run-b', t + 2 * MINUTE, t)).toBe(false);
    expect(await store.acquireLock(name, 'run-b', t + 2 * MINUTE, t + MINUTE - 1)).toBe(false);
    // Locks are per name.
    expect(await store.acquireLock(ctx().name('lock'), 'run-b', t + MINUTE, t)).toBe(true);
  });

  it('is free once its expiry has come', async () => {
    const { store, clock } = ctx();
    const name = ctx().name('lock');
    const t = clock.now();
    expect(await store.acquireLock(name, 'run-a', t + MINUTE, t)).toBe(true);
    expect(await store.acquireLock(name, 'run-b', t + 3 * MINUTE, t + MINUTE)).toBe(true);
    // The former holder lost it: it can neither take it back nor renew it while run-b holds it.
    expect(await store.acquireLock(name, 'run-a', t + 4 * MINUTE, t + MINUTE)).toBe(false);
    expect(await store.acquireLock(name, 'run-a', t + 4 * MINUTE, t + 3 * MINUTE - 1)).toBe(false);
    expect(await store.acquireLock(name, 'run-a', t + 4 * MINUTE, t + 3 * MINUTE)).toBe(true);
  });

  it('renews for its owner, which moves the expiry', async () => {
    const { store, clock } = ctx();
    const name = ctx().name('lock');
    const t = clock.now();
    expect(await store.acquireLock(name, 'run-a', t + MINUTE, t)).toBe(true);
    expect(await store.acquireLock(name, 'run-a', t + 5 * MINUTE, t + 30_000)).toBe(true);
    // Past the first expiry the renewed lock still holds ...
    expect(await store.acquireLock(name, 'run-b', t + 6 * MINUTE, t + 2 * MINUTE)).toBe(false);
    // ... until the renewed one.
    expect(await store.acquireLock(name, 'run-b', t + 6 * MINUTE, t + 5 * MINUTE)).toBe(true);
  });

  it('is released only by its owner', async () => {
    const { store, clock } = ctx();
    const name = ctx().name('lock');
    const t = clock.now();
    expect(await store.acquireLock(name, 'run-a', t + MINUTE, t)).toBe(true);
    await store.releaseLock(name, 'run-b');
    expect(await store.acquireLock(name, 'run-b', t + MINUTE, t)).toBe(false);
    await store.releaseLock(name, 'run-a');
    expect(await store.acquireLock(name, 'run-b', t + MINUTE, t)).toBe(true);
    // Releasing twice, or a lock nobody holds, changes nothing.
    await store.releaseLock(name, 'run-a');
    await store.releaseLock(ctx().name('lock'), 'run-a');
    expect(await store.acquireLock(name, 'run-c', t + MINUTE, t)).toBe(false);
  });

  it('of 10 concurrent acquirers, exactly one gets a free lock, and exactly one an expired one', async () => {
    const { store, clock } = ctx();
    const name = ctx().name('lock');
    const t = clock.now();
    const owners = Array.from({ length: 10 }, (_, i) => `run-${i}`);
    const first = await Promise.all(owners.map((owner) => store.acquireLock(name, owner, t + MINUTE, t)));
    expect(first.filter(Boolean)).toHaveLength(1);
    const later = t + MINUTE;
    const second = await Promise.all(owners.map((owner) => store.acquireLock(name, owner, later + MINUTE, later)));
    expect(second.filter(Boolean)).toHaveLength(1);
    // The winner holds it: everyone else is refused, the winner renews.
    const winner = owners[second.indexOf(true)] as string;
    for (const owner of owners) {
      expect(await store.acquireLock(name, owner, later + 2 * MINUTE, later + 1)).toBe(owner === winner);
    }
  });
}
