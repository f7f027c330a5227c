import { randomUUID } from 'node:crypto';
import { NimbusError } from '../../core/errors.ts';
import type { AppendResult } from '../../core/ports/store.ts';
import { num, str } from './attributes.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { claimDedup, DEDUP_DONE, dedupKey } from './message-requests.ts';
import type { QueueReader } from './queue-reader.ts';
import type { AppendEntry } from './segment-plan.ts';
import type { TableNames } from './table-definitions.ts';

/** How often a waiting duplicate looks at the first sender's claim again. */
const POLL_MS = 15;
/**
 * A claim pending this long (by the store's clock) is taken over. A healthy first sender
 * completes its claim within milliseconds; one that is merely slow is fenced by the owner
 * condition on its completion (message-requests.ts), so taking over early can cost it a
 * retry but never stores a message twice.
 */
export const CLAIM_TAKEOVER_MS = 2_000;

/**
 * Idempotent send: before an entry with a messageId gets an offset, its sender claims the
 * (topic, messageId) record. A concurrent duplicate finds the claim, waits for it to be
 * completed (with the segment, atomically) and returns the first message; it never takes
 * an offset. A claim left pending (a dead or stalled sender, or a retry after a lost
 * response while the first attempt still runs) is taken over after CLAIM_TAKEOVER_MS.
 */
export class Idempotency {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly reader: QueueReader;
  private readonly now: () => number;

  constructor(gateway: DynamoGateway, tables: TableNames, reader: QueueReader, now: () => number) {
    this.gateway = gateway;
    this.tables = tables;
    this.reader = reader;
    this.now = now;
  }

  /** Claims every entry's messageId, or marks the entry done as a duplicate of the first message. */
  async claim(entries: readonly AppendEntry[], results: (AppendResult | undefined)[]): Promise<void> {
    await Promise.all(entries.map((entry) => this.claimOne(entry, results)));
  }

  private async claimOne(entry: AppendEntry, results: (AppendResult | undefined)[]): Promise<void> {
    const { topic, messageId, storeTimestamp, expireAt } = entry.message;
    if (messageId === undefined || entry.owner || entry.done) return;
    const owner = randomUUID();
    const deadline = Date.now() + 2 * CLAIM_TAKEOVER_MS + 5_000;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const wallNow = this.now();
      const outcome = await this.gateway.put(
        'send',
        'append.claimId',
        claimDedup(
          this.tables,
          { topic, messageId, owner, expireAt },
          { now: storeTimestamp, wallNow, staleBefore: wallNow - CLAIM_TAKEOVER_MS },
          entry.staleMsgId,
        ),
      );
      if (outcome.ok) {
        entry.owner = owner;
        return;
      }
      const record = outcome.old ?? (await this.read(topic, messageId));
      if (record && str(record, 'ks') === DEDUP_DONE) {
        await this.resolveDuplicate(entry, record, results);
        if (entry.done) return;
        continue;
      }
      // Pending: the first sender is writing it right now.
      await new Promise((resolve) => setTimeout(resolve, POLL_MS + Math.random() * POLL_MS * Math.min(attempt, 8)));
    }
    throw new NimbusError('STORE_UNAVAILABLE', `Send with messageId "${messageId}" waited too long for a first send.`);
  }

  /** Marks the entry a duplicate of the record's message, or notes the record as stale (its message is gone). */
  private async resolveDuplicate(entry: AppendEntry, record: Item, results: (AppendResult | undefined)[]) {
    const msgId = str(record, 'i') ?? '';
    const ref = { topic: entry.message.topic, queueId: num(record, 'qi') ?? 0, queueOffset: num(record, 'o') ?? 0 };
    const [prior] = await this.reader.getMessages([ref], entry.message.storeTimestamp, 'send');
    if (prior && prior.msgId === msgId) {
      results[entry.index] = { message: prior, duplicate: true };
      entry.done = true;
    } else {
      entry.staleMsgId = msgId;
    }
  }

  private read(topic: string, messageId: string): Promise<Item | undefined> {
    return this.gateway.get('send', 'append.claimId', {
      TableName: this.tables.index,
      Key: dedupKey(topic, messageId),
      ConsistentRead: true,
    });
  }
}
