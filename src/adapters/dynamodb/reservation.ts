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
  /** The range holds a multiple of TIME_MARKER_OFFSETS: its first segment marks the time index. */
  marksTime: boolean;
  /**
   * The writer's clock once the reservation came back: every offset below the range was
   * reserved before it, by a writer that took its store time before reserving, so no message
   * below was stored later than this (up to clock skew between writers). The time marker
   * carries this, not its own store time, which a slow writer may have taken long before
   * others reserved (and stored newer messages) below it.
   */
  markAt: number;
  /** The writer's clock when it reserved (recorded on the head and on the range's segments). */
  at: number;
}

/**
 * Offsets between two time markers (`ts`, the sparse `by-queue-time` index): a time lookup
 * reads forward from the marker at or before its time, so about this many messages at most
 * (one page of MessageQueries' forward read), whatever the queue's rate. A marker costs one
 * index write: 1/128 write unit per message. Markers were once the first segment of each
 * second per queue, which cost a write per message at one message a second, and a read of a
 * whole second of a busy queue; those markers still serve lookups.
 */
export const TIME_MARKER_OFFSETS = 128;

/** Whether [base, base + count) holds a multiple of TIME_MARKER_OFFSETS. */
export function marksTime(base: number, count: number): boolean {
  return Math.ceil(base / TIME_MARKER_OFFSETS) * TIME_MARKER_OFFSETS < base + count;
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
    request: { count: number; incarnation: number; holdsNoRange: boolean },
  ): Promise<Reservation> {
    const { count } = request;
    let incarnation = request.incarnation;
    let reservation = await this.reserve(topic, queueId, count, incarnation);
    if (reservation === 'fenced' && request.holdsNoRange) {
      const fresh = await this.incarnations.of(topic, true);
      if (fresh !== incarnation) {
        incarnation = fresh;
        reservation = await this.reserve(topic, queueId, count, incarnation);
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
    incarnation: number,
  ): Promise<Omit<Reservation, 'incarnation'> | 'fenced'> {
    const id = randomBytes(9).toString('base64url');
    const request = { count, id, at: this.now(), incarnation };
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
        marksTime: marksTime(num(old, 'n') ?? 0, count),
        markAt: this.now(),
        at: request.at,
      };
    }
    const old = outcome.old;
    for (let slot = 0; slot < RESERVATION_SLOTS; slot++) {
      if (str(old, `r${slot}`) !== id) continue;
      // Our own earlier attempt got through and its response was lost.
      const base = num(old, `b${slot}`) ?? 0;
      return { base, count, marksTime: marksTime(base, count), markAt: this.now(), at: request.at };
    }
    return 'fenced';
  }
}
