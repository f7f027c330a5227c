import { randomBytes } from 'node:crypto';
import { num, str } from './attributes.ts';
import type { DynamoGateway } from './gateway.ts';
import { queueKey } from './keys.ts';
import { RESERVATION_SLOTS, reserveOffsets } from './message-requests.ts';
import type { TableNames } from './table-definitions.ts';

/** A range of offsets [base, base + count) of one queue that belongs to one writer alone. */
export interface Reservation {
  base: number;
  count: number;
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

  constructor(gateway: DynamoGateway, tables: TableNames, now: () => number) {
    this.gateway = gateway;
    this.tables = tables;
    this.now = now;
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
  ): Promise<Reservation | 'fenced'> {
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
