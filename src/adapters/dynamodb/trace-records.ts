import { randomUUID } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import type { TraceRecord, TraceSubject } from '../../core/ports/store.ts';
import type { TraceEvent } from '../../core/trace-event.ts';
import { N, num, S, str, ttlSeconds } from './attributes.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { pad } from './keys.ts';
import type { TableNames } from './table-definitions.ts';

/**
 * Trace events in the index table, packed so that a batch of events costs about one write:
 * events of one message before it has a position go to `T#m#msgId`; consumption events go
 * to the partition of their queue's bucket of 64 offsets, `T#p#topic#queueId#bucket`, so
 * the DELIVERED (or ACKED) events of one received batch share an item. Each call writes one
 * item per partition it touches (sort key `time#random`, never overwritten), with `v` the
 * JSON list of `[offset, event, expireAt]`, `e` the latest expiry and `ttl`.
 *
 * The events of one call repeat nearly everything but the offset (type, time, group,
 * client, attempt, request id), so that list is stored deflated as `z` when that is
 * smaller: 32 DELIVERED events take one or two write units instead of five. Items written
 * before `z` existed keep `v` and read as before.
 */
const BUCKET_OFFSETS = 64;
/** Events per item: ~120 bytes each keeps an item near 4 KB at most. */
const EVENTS_PER_ITEM = 32;
/** BatchWriteItem takes at most 25 requests. */
const BATCH_WRITE_LIMIT = 25;

/** One event in an item: the message's offset (-1 for a msgId subject), the event, its own expiry. */
type PackedEvent = [offset: number, event: TraceEvent, expireAt: number];

export function tracePartition(subject: TraceSubject): string {
  if ('msgId' in subject) return `T#m#${subject.msgId}`;
  return `T#p#${subject.topic}#${subject.queueId}#${Math.floor(subject.queueOffset / BUCKET_OFFSETS)}`;
}

export class TraceRecords {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;

  constructor(gateway: DynamoGateway, tables: TableNames) {
    this.gateway = gateway;
    this.tables = tables;
  }

  /** Unconditional puts of new items (a random sort key each): a retried batch can at worst repeat an event. */
  async appendTrace(records: readonly TraceRecord[]): Promise<void> {
    const byPartition = new Map<string, TraceRecord[]>();
    for (const record of records) {
      const partition = tracePartition(record.subject);
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), record]);
    }
    const requests: WriteRequest[] = [];
    for (const [partition, group] of byPartition) {
      for (let i = 0; i < group.length; i += EVENTS_PER_ITEM) {
        requests.push(traceItem(partition, group.slice(i, i + EVENTS_PER_ITEM)));
      }
    }
    for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
      await this.gateway.batchWrite(
        'other',
        'trace.append',
        this.tables.index,
        requests.slice(i, i + BATCH_WRITE_LIMIT),
      );
    }
  }

  async listTrace(subjects: readonly TraceSubject[], now: number): Promise<TraceRecord[]> {
    const out: TraceRecord[] = [];
    for (const subject of subjects) {
      const offset = 'msgId' in subject ? -1 : subject.queueOffset;
      let startKey: Item | undefined;
      do {
        const page = await this.gateway.query('other', 'trace.list', {
          TableName: this.tables.index,
          KeyConditionExpression: 'p = :p',
          ExpressionAttributeValues: { ':p': S(tracePartition(subject)) },
          ExclusiveStartKey: startKey,
        });
        for (const item of page.items) {
          // TTL deletes lazily (days late): expired events are filtered here.
          if ((num(item, 'e') ?? 0) <= now) continue;
          const packed = JSON.parse(packedJson(item)) as PackedEvent[];
          for (const [at, event, expireAt] of packed) {
            if (at === offset && expireAt > now) out.push({ subject, event, expireAt });
          }
        }
        startKey = page.lastKey;
      } while (startKey);
    }
    return out;
  }
}

function packedJson(item: Item): string {
  const deflated = item['z']?.B;
  return deflated ? inflateRawSync(deflated).toString('utf8') : (str(item, 'v') ?? '[]');
}

/** The packed events as `z` (deflated) or `v` (JSON), whichever is smaller. */
function packedAttribute(packed: PackedEvent[]): Item {
  const json = JSON.stringify(packed);
  const deflated = deflateRawSync(json);
  return deflated.byteLength < Buffer.byteLength(json) ? { z: { B: deflated } } : { v: S(json) };
}

function traceItem(partition: string, records: readonly TraceRecord[]): WriteRequest {
  const packed: PackedEvent[] = records.map(({ subject, event, expireAt }) => [
    'msgId' in subject ? -1 : subject.queueOffset,
    event,
    expireAt,
  ]);
  const expireAt = Math.max(...records.map((record) => record.expireAt));
  const time = Math.min(...records.map((record) => record.event.time));
  return {
    PutRequest: {
      Item: {
        p: S(partition),
        s: S(`${pad(time)}#${randomUUID()}`),
        ...packedAttribute(packed),
        e: N(expireAt),
        ttl: N(ttlSeconds(expireAt)),
      },
    },
  };
}
