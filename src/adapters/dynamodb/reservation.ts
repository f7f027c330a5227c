import { randomBytes } from 'node:crypto';
import { NimbusError } from '../../core/errors.ts';
import { num, str } from './attributes.ts';
import type { DynamoGateway } from './gateway.ts';
import { queueKey } from './keys.ts';
import { RESERVATION_SLOTS, reserveOffsets } from './message-requests.ts';
import type { TableNames } from './table-definitions.ts';
import { TopicIncarnations } from './topic-incarnations.ts';

/** A range of offsets [base, base + count) of one queue that belongs to one writer alone. */
export interface Reservation {
  base: number;
  count: number;
  /** The topic incarnation the range belongs to. */
  incarnation: number;
  /** The first reservation of the queue in this second: its first segment marks the time index. */
  firstInSecond: boolean;
  /** The writer's clock when it reserved (recorded on the head and on the range's segments). */
  at: number;
}

/**
 * Reserves offset ranges on a queue's head item (message-requests.ts, reserveOffsets),
 * idempotently: a retry after a lost response gets the range its first attempt took.
 */
export class Reserver {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly now: () => number;
  private readonly incarnations: TopicIncarnations;

  constructor(gateway: DynamoGateway, tables: TableNames, now: () => number, monotonicNow: () => number) {
    this.gateway = gateway;
    this.tables = tables;
    this.now = now;
    this.incarnations = new TopicIncarnations(gateway, tables, monotonicNow);
  }

  /** The topic's incarnation as far as this container knows (topic-incarnations.ts). */
  incarnationOf(topic: string): Promise<number> {
    return this.incarnations.of(topic);
  }

  /**
   * Reserves for an append in the incarnation it knows. Refused there (the topic was deleted
   * since), a writer that holds no range yet reads the topic anew and goes on in a re-created
   * topic; any other fails with TOPIC_NOT_FOUND, its earlier ranges under the deletion's floor.
   */
  async reserveForAppend(
    topic: string,
    queueId: number,
    request: { count: number; bucket: number; incarnation: number; holdsNoRange: boolean },
  ): Promise<Reservation> {
    const { count, bucket } = request;
    let incarnation = request.incarnation;
    let reservation = await this.reserve(topic, queueId, count, bucket, incarnation);
    if (reservation === 'fenced' && request.holdsNoRange) {
      const fresh = await this.incarnations.of(topic, true);
      if (fresh !== incarnation) {
        incarnation = fresh;
        reservation = await this.reserve(topic, queueId, count, bucket, incarnation);
      }
    }
    if (reservation === 'fenced') {
      throw new NimbusError(
        'TOPIC_NOT_FOUND',
        `Topic "${topic}" was deleted while this send was being written; nothing more was stored.`,
      );
    }
    return { ...reservation, incarnation };
  }

  /**
   * Reserves `count` offsets of the topic's `incarnation`; 'fenced' when the queue's head
   * belongs to another incarnation (the topic was deleted since the writer learnt it).
   */
  async reserve(
    topic: string,
    queueId: number,
    count: number,
    bucket: number,
    incarnation: number,
  ): Promise<Omit<Reservation, 'incarnation'> | 'fenced'> {
    const id = randomBytes(9).toString('base64url');
    const request = { count, bucket, id, at: this.now(), incarnation };
    const outcome = await this.gateway.update(
      'send',
      'append.reserve',
      reserveOffsets(this.tables, queueKey(topic, queueId), request),
    );
    if (outcome.ok) {
      const old = outcome.attributes;
      return {
        base: num(old, 'n') ?? 0,
        count,
        firstInSecond: num(old, 'tb') !== bucket,
        at: request.at,
      };
    }
    const old = outcome.old;
    for (let slot = 0; slot < RESERVATION_SLOTS; slot++) {
      if (str(old, `r${slot}`) !== id) continue;
      // Our own earlier attempt got through and its response was lost. The time marker may be
      // missing for this second; an extra one is harmless.
      const base = num(old, `b${slot}`) ?? 0;
      return { base, count, firstInSecond: true, at: request.at };
    }
    return 'fenced';
  }
}
