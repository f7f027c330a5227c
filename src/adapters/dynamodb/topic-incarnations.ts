import { NimbusError } from '../../core/errors.ts';
import { num, S, str } from './attributes.ts';
import type { DynamoGateway } from './gateway.ts';
import { TOPICS_PARTITION } from './keys.ts';
import type { TableNames } from './table-definitions.ts';

/** How long a writer trusts what it read of a topic's incarnation (the queue head has the last word). */
const CACHE_MS = 60_000;

/**
 * Which incarnation of a topic a writer writes to: the topic record's `ic`, which counts
 * the topic's deletions (catalog.ts). Every reservation names it and the queue head refuses
 * a stale one (message-requests.ts, reserveOffsets), so the cache can only cost a refused
 * reservation and a fresh read, never a message in the wrong incarnation. A topic never
 * recorded in the catalog (appends straight to the store) is incarnation 0.
 */
export class TopicIncarnations {
  private readonly cache = new Map<string, { incarnation: number; until: number }>();
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly monotonicNow: () => number;

  constructor(gateway: DynamoGateway, tables: TableNames, monotonicNow: () => number) {
    this.gateway = gateway;
    this.tables = tables;
    this.monotonicNow = monotonicNow;
  }

  /** The topic's incarnation; TOPIC_NOT_FOUND once it is deleted (or being deleted). `fresh` skips the cache. */
  async of(topic: string, fresh = false): Promise<number> {
    const cached = this.cache.get(topic);
    if (!fresh && cached && cached.until > this.monotonicNow()) return cached.incarnation;
    const item = await this.gateway.get('send', 'append.incarnation', {
      TableName: this.tables.state,
      Key: { p: S(TOPICS_PARTITION), s: S(topic) },
      ConsistentRead: true,
    });
    if (item && str(item, 'd') === undefined) {
      this.cache.delete(topic);
      throw new NimbusError('TOPIC_NOT_FOUND', `Topic "${topic}" was deleted; nothing was stored.`);
    }
    const incarnation = num(item, 'ic') ?? 0;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(topic, { incarnation, until: this.monotonicNow() + CACHE_MS });
    return incarnation;
  }
}
