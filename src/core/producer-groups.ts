import { NimbusError } from './errors.ts';
import { assertGroupName } from './limits.ts';
import type { Clock } from './ports/clock.ts';
import type { BrokerStore } from './ports/store.ts';
import { type ProducerGroup, type ProducerGroupInput, producerGroupFrom } from './producer-group.ts';
import { RecentLookups } from './recent-lookups.ts';

/** How long a process trusts a cached producer group; other processes' changes show after this. */
const CACHE_MS = 2_000;

/**
 * Producer groups of transactional messages: who answers check-backs, and when. Every
 * half message names one, and every check-back reads it, so reads are cached briefly.
 */
export class ProducerGroups {
  private readonly cache = new RecentLookups<ProducerGroup>(CACHE_MS);
  private readonly store: BrokerStore;
  private readonly clock: Clock;

  constructor(store: BrokerStore, clock: Clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * Registers or replaces a producer group (PUT semantics; `createdAt` is kept).
   * @example
   * await producerGroups.put('payments', { checker: { type: 'webhook', url: 'https://pay.example/check', secret } });
   */
  async put(name: string, input: ProducerGroupInput): Promise<ProducerGroup> {
    const fresh = producerGroupFrom(name, input, this.clock.now());
    const existing = await this.store.getProducerGroup(name);
    const group = { ...fresh, createdAt: existing?.createdAt ?? fresh.createdAt };
    await this.store.saveProducerGroup(group);
    this.cache.remember(name, group, this.clock.now());
    return group;
  }

  /** The group; PRODUCER_GROUP_NOT_FOUND when it is not registered. */
  async get(name: string): Promise<ProducerGroup> {
    assertGroupName(name);
    const group = await this.find(name);
    if (!group) throw new NimbusError('PRODUCER_GROUP_NOT_FOUND', `Producer group "${name}" is not registered.`);
    return group;
  }

  /** Cached lookup; `undefined` when the group is not registered. */
  async find(name: string): Promise<ProducerGroup | undefined> {
    const cached = this.cache.trusted(name, this.clock.now());
    if (cached) return cached.value;
    const value = await this.store.getProducerGroup(name);
    this.cache.remember(name, value, this.clock.now());
    return value;
  }

  list(): Promise<ProducerGroup[]> {
    return this.store.listProducerGroups();
  }

  async delete(name: string): Promise<void> {
    assertGroupName(name);
    const deleted = await this.store.deleteProducerGroup(name);
    this.cache.forget(name);
    if (!deleted) throw new NimbusError('PRODUCER_GROUP_NOT_FOUND', `Producer group "${name}" is not registered.`);
  }
}
