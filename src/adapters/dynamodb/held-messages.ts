import { randomUUID } from 'node:crypto';
import { NimbusError } from '../../core/errors.ts';
import type {
  CancelOutcome,
  DuePosition,
  HeldMessage,
  HeldPosition,
  HoldKind,
  HoldResult,
  MessageToHold,
  ReleaseOutcome,
} from '../../core/ports/store.ts';
import type { Appender } from './appender.ts';
import { num, str } from './attributes.ts';
import type { DynamoGateway, Item } from './gateway.ts';
import { dueKeysAfter, firstPendingDue } from './held-due-keys.ts';
import { compare, expired, keyOf, pending, range, releasedMessage, withClientMessageId } from './held-records.ts';
import {
  DUE_SHARDS,
  decodeHeld,
  holdIdKey,
  holdRecordItem,
  markCancelled,
  markReleased,
  markReleasing,
  markReleasingCancelled,
  pendingSortKey,
  putHeldRecord,
  putHoldId,
  queryTopicAll,
  queryTopicPending,
  recordKey,
  releaseAppend,
  releaseKey,
  rescheduleRecord,
  retireExpiredRecord,
  STATE,
  storedState,
  TOPIC_SHARDS,
} from './held-requests.ts';
import { DEDUP_DONE, dedupKey } from './message-requests.ts';
import type { DynamoDbStoreHooks } from './options.ts';
import type { TableNames } from './table-definitions.ts';

/** A record found in a state other than the one a conditional write expected is looked at again this often. */
const MAX_ROUNDS = 5;
/** A release RELEASING this long died (a Lambda's whole run is at most 15 minutes); the fence may settle it. */
export const RELEASING_TIMEOUT_MS = 16 * 60_000;
/** Queries one listing page makes at most while stepping over index entries of settled or expired records. */
const MAX_LISTING_ROUNDS = 20;

/**
 * Held messages on DynamoDB (delayed now, half messages next): one record per message in
 * the held table, found by topic and by due time through two sparse, sharded indexes.
 * Release is HELD -> RELEASING (conditional), an append through the store's appender with
 * an idempotency key derived from the message, then RELEASED with the offset: a release
 * that dies between any two steps is finished by the next one, and appends once.
 */
export class HeldMessages {
  private readonly gateway: DynamoGateway;
  private readonly tables: TableNames;
  private readonly appender: Appender;
  private readonly hooks: DynamoDbStoreHooks;

  constructor(gateway: DynamoGateway, tables: TableNames, appender: Appender, hooks: DynamoDbStoreHooks) {
    this.gateway = gateway;
    this.tables = tables;
    this.appender = appender;
    this.hooks = hooks;
  }

  async hold(messages: readonly MessageToHold[]): Promise<HoldResult[]> {
    const results: HoldResult[] = new Array(messages.length);
    const firstById = new Map<string, number>();
    const repeats: [number, number][] = [];
    const fresh: number[] = [];
    messages.forEach((entry, i) => {
      const { topic, messageId } = entry.message;
      if (messageId === undefined) {
        fresh.push(i);
        return;
      }
      const key = `${topic}\u0000${messageId}`;
      const first = firstById.get(key);
      if (first === undefined) {
        firstById.set(key, i);
        fresh.push(i);
      } else repeats.push([i, first]);
    });
    await Promise.all(
      fresh.map(async (i) => {
        results[i] = await this.holdOne(messages[i] as MessageToHold);
      }),
    );
    for (const [i, first] of repeats) results[i] = { held: (results[first] as HoldResult).held, duplicate: true };
    return results;
  }

  async getHeld(topic: string, msgId: string, now: number): Promise<HeldMessage | undefined> {
    const item = await this.read(topic, msgId);
    return item && !expired(item, now) ? decodeHeld(item) : undefined;
  }

  /**
   * A topic's pending records, by due time. Index entries whose record turns out expired or
   * settled (the index lags the table) are stepped over, and the shards queried again past
   * them, so a page is short only when the listing is at its end. Expired records leave the
   * indexes on the way.
   */
  async listHeld(
    topic: string,
    kind: HoldKind,
    now: number,
    limit: number,
    after?: HeldPosition,
  ): Promise<HeldMessage[]> {
    const found: HeldMessage[] = [];
    let afterKey = after && pendingSortKey(kind, after.dueAt, after.msgId);
    for (let round = 0; round < MAX_LISTING_ROUNDS && found.length < limit; round++) {
      const wanted = limit - found.length;
      const shards = await Promise.all(
        range(TOPIC_SHARDS).map((shard) =>
          this.gateway.query(
            'other',
            'held.listTopic',
            queryTopicPending(this.tables, topic, kind, shard, afterKey, wanted),
          ),
        ),
      );
      // The first `wanted` of the shards' first `wanted` each are the first `wanted` overall.
      const keys = shards
        .flatMap((page) => page.items)
        .sort((a, b) => compare(str(a, 'hs') ?? '', str(b, 'hs') ?? ''))
        .slice(0, wanted);
      // Eventually consistent: a listing may trail a release by a moment (the index does anyway).
      const records = await this.readAll(keys, false);
      await this.retireExpired(records, now);
      found.push(...records.filter((item) => pending(item) && !expired(item, now)).map(decodeHeld));
      const exhausted = keys.length < wanted && shards.every((page) => page.lastKey === undefined);
      if (exhausted || keys.length === 0) break;
      afterKey = str(keys[keys.length - 1], 'hs');
    }
    return found;
  }

  async listDueHeld(kind: HoldKind, now: number, limit: number, after?: DuePosition): Promise<HeldMessage[]> {
    if (after && after.dueAt > now) return [];
    const shards = await Promise.all(
      range(DUE_SHARDS).map((shard) => dueKeysAfter(this.gateway, this.tables, { kind, shard, now, limit, after })),
    );
    // By due time, then `M#<topic>#<msgId>`: '#' sorts below every name character, so this is topic, msgId.
    const keys = shards
      .flat()
      .sort((a, b) => (num(a, 'hd') ?? 0) - (num(b, 'hd') ?? 0) || compare(str(a, 'p') ?? '', str(b, 'p') ?? ''))
      .slice(0, limit);
    const records = await this.readAll(keys, true);
    await this.retireExpired(records, now);
    return records
      .filter((item) => pending(item) && !expired(item, now))
      .map(decodeHeld)
      .filter((held) => held.dueAt <= now);
  }

  async nextHeldDueAt(kind: HoldKind, now: number): Promise<number | undefined> {
    const firsts = await Promise.all(
      range(DUE_SHARDS).map((shard) => firstPendingDue(this.gateway, this.tables, { kind, shard, now })),
    );
    const due = firsts.filter((dueAt) => dueAt !== undefined);
    return due.length === 0 ? undefined : Math.min(...due);
  }

  async release(topic: string, msgId: string, now: number): Promise<ReleaseOutcome> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const item = await this.read(topic, msgId);
      if (!item || expired(item, now)) return { state: 'NOT_FOUND' };
      const state = storedState(item);
      if (state === STATE.released)
        return { state: 'RELEASED', message: releasedMessage(item), held: decodeHeld(item) };
      if (state === STATE.cancelled) return { state: 'CANCELLED', held: decodeHeld(item) };
      if (state === STATE.held) {
        const marked = await this.gateway.update(
          'other',
          'held.releasing',
          markReleasing(this.tables, topic, msgId, now),
        );
        // Lost the race (a cancel, another release) or expired meanwhile: look again.
        if (!marked.ok) continue;
        await this.hooks.afterHeldReleasing?.({ topic, msgId });
        return this.finishRelease({ ...item, rt: { N: String(now) } }, now);
      }
      // RELEASING: another driver is releasing it, or died doing so; finishing is idempotent.
      return this.finishRelease(item, now);
    }
    throw new NimbusError('STORE_UNAVAILABLE', `Held message ${msgId} kept changing state; try again.`);
  }

  async cancelHeld(topic: string, msgId: string, reason: string, now: number): Promise<CancelOutcome> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const item = await this.read(topic, msgId);
      if (!item || expired(item, now)) return { state: 'NOT_FOUND' };
      const state = storedState(item);
      if (state === STATE.released) return { state: 'RELEASED', held: decodeHeld(item) };
      if (state === STATE.cancelled) return { state: 'CANCELLED', held: decodeHeld(item) };
      if (state === STATE.releasing) return this.settleReleasing(item, reason, now);
      const marked = await this.gateway.update(
        'other',
        'held.cancel',
        markCancelled(this.tables, topic, msgId, reason, now),
      );
      if (!marked.ok) continue;
      const held = decodeHeld(item);
      return { state: 'CANCELLED', held: { ...held, state: 'CANCELLED', reason, settledAt: now } };
    }
    throw new NimbusError('STORE_UNAVAILABLE', `Held message ${msgId} kept changing state; try again.`);
  }

  async rescheduleHeld(
    topic: string,
    msgId: string,
    expectedChecks: number,
    dueAt: number,
    now: number,
  ): Promise<boolean> {
    const item = await this.read(topic, msgId);
    if (item && storedState(item) === STATE.releasing) {
      // A commit decided and then died before its append (getHeld shows it HELD, still due):
      // nobody asks a checker about it again, so the check-back that finds it finishes it.
      await this.finishRelease(item, now).catch(() => undefined);
      return false;
    }
    if (!item || storedState(item) !== STATE.held) return false;
    const kind = (str(item, 'k') ?? 'DELAY') as HoldKind;
    const lease = randomUUID();
    const outcome = await this.gateway.update(
      'other',
      'held.reschedule',
      rescheduleRecord(this.tables, { kind, topic, msgId }, expectedChecks, dueAt, lease),
    );
    if (outcome.ok) return true;
    // The SDK retried a write whose answer was lost: the lease in the record is this one.
    return str(outcome.old ?? {}, 'cl') === lease && num(outcome.old ?? {}, 'c') === expectedChecks + 1;
  }

  /** Removes every held record of a topic (any state) and its hold idempotency records. */
  async deleteTopic(topic: string): Promise<void> {
    for (let shard = 0; shard < TOPIC_SHARDS; shard++) {
      let startKey: Item | undefined;
      do {
        const page = await this.gateway.query(
          'other',
          'held.deleteTopic',
          queryTopicAll(this.tables, topic, shard, startKey),
        );
        const deletes = page.items.map((item) => ({ DeleteRequest: { Key: keyOf(item) } }));
        if (deletes.length > 0) await this.gateway.batchWrite('other', 'held.deleteTopic', this.tables.held, deletes);
        startKey = page.lastKey;
      } while (startKey);
    }
  }

  private async holdOne(entry: MessageToHold): Promise<HoldResult> {
    const { message } = entry;
    const item = holdRecordItem(entry);
    if (message.messageId === undefined) {
      const outcome = await this.gateway.put('send', 'held.hold', putHeldRecord(this.tables, item));
      // A retried put finding its own record: that is this message (msgIds are unique).
      return { held: decodeHeld(outcome.ok ? item : (outcome.old ?? item)), duplicate: false };
    }
    const messageId = message.messageId;
    let stale: string | undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const outcome = await this.gateway.transact(
        'send',
        'held.hold',
        [
          { Put: putHoldId(this.tables, { ...message, messageId }, message.storeTimestamp, stale) },
          { Put: putHeldRecord(this.tables, item) },
        ],
        randomUUID(),
      );
      if (outcome.ok) return { held: decodeHeld(item), duplicate: false };
      if (outcome.reasons[1]?.Code === 'ConditionalCheckFailed') {
        const own = await this.read(message.topic, message.msgId);
        if (own) return { held: decodeHeld(own), duplicate: false };
      }
      const claim = await this.gateway.get('send', 'held.holdId', {
        TableName: this.tables.held,
        Key: holdIdKey(message.topic, messageId),
        ConsistentRead: true,
      });
      const firstMsgId = str(claim, 'i');
      if (firstMsgId === undefined) continue;
      const first = await this.read(message.topic, firstMsgId);
      if (first && !expired(first, message.storeTimestamp)) return { held: decodeHeld(first), duplicate: true };
      // The first message's record is gone (its topic was deleted): the claim is stale.
      stale = firstMsgId;
    }
    throw new NimbusError('STORE_UNAVAILABLE', `Hold with messageId "${messageId}" kept conflicting; try again.`);
  }

  /**
   * A cancel that finds a release under way. A live release wins: it finishes the append
   * (the cancel does not append itself, so the functions serving cancels need no write
   * access to the queues). A release RELEASING for over RELEASING_TIMEOUT_MS died; it is
   * settled by what its append left: RELEASED if the append's idempotency record names
   * this message, CANCELLED if there is none (otherwise a record whose topic fails the
   * release fence would stay due for good).
   */
  private async settleReleasing(item: Item, reason: string, now: number): Promise<CancelOutcome> {
    const held = decodeHeld(item);
    const { topic, msgId } = held.message;
    const since = num(item, 'rt') ?? 0;
    const released: CancelOutcome = { state: 'RELEASED', held: { ...held, state: 'RELEASED' } };
    if (held.kind === 'TRANSACTION') {
      // A commit was decided: the rollback or check-back that finds it half-done finishes it
      // (the functions serving these append commits anyway), so it never waits out the timeout
      // due, nor is cancelled after a commit was answered. A fenced topic falls through.
      const finished = await this.finishRelease(item, now).catch(() => undefined);
      if (finished?.state === 'RELEASED') return { state: 'RELEASED', held: finished.held };
    }
    if (now - since < RELEASING_TIMEOUT_MS) return released;
    const claim = await this.gateway.get('other', 'held.releaseClaim', {
      TableName: this.tables.index,
      Key: dedupKey(topic, releaseKey(held.message)),
      ConsistentRead: true,
    });
    if (claim && str(claim, 'ks') === DEDUP_DONE && str(claim, 'i') === msgId) {
      const queueOffset = num(claim, 'o') ?? 0;
      const appended = { queueOffset, storeTimestamp: since };
      await this.gateway.update('other', 'held.released', markReleased(this.tables, topic, msgId, appended, now));
      return { state: 'RELEASED', held: { ...held, state: 'RELEASED', queueOffset, settledAt: now } };
    }
    // A claim pending since lately: an append is under way after all; it finishes the release.
    // One pending as long as the release died with its appender (the next release takes it over).
    if (claim && str(claim, 'ks') !== DEDUP_DONE && now - (num(claim, 'ca') ?? 0) < RELEASING_TIMEOUT_MS) {
      return released;
    }
    const marked = await this.gateway.update(
      'other',
      'held.cancel',
      markReleasingCancelled(this.tables, topic, msgId, since, reason, now),
    );
    // The record moved on meanwhile (the release finished after all): answer what it is now.
    if (!marked.ok) return this.cancelHeld(topic, msgId, reason, now);
    return { state: 'CANCELLED', held: { ...held, state: 'CANCELLED', reason, settledAt: now } };
  }

  /** Appends a RELEASING message (idempotently) and marks it RELEASED. */
  private async finishRelease(item: Item, now: number): Promise<ReleaseOutcome> {
    const held = decodeHeld(item);
    const { topic, msgId } = held.message;
    const [appended] = await this.appender.append([releaseAppend(held.message, now)]);
    if (!appended) throw new NimbusError('INTERNAL', `Release of ${msgId} got no append result.`);
    await this.hooks.afterHeldAppend?.({ topic, msgId, queueOffset: appended.message.queueOffset });
    await this.gateway.update('other', 'held.released', markReleased(this.tables, topic, msgId, appended.message, now));
    const message = withClientMessageId(appended.message, held.message.messageId);
    return {
      state: 'RELEASED',
      message,
      held: { ...held, state: 'RELEASED', queueOffset: message.queueOffset, settledAt: num(item, 'sa') ?? now },
    };
  }

  /** Takes expired records (they can never be released) out of the due and by-topic listings. */
  private async retireExpired(records: readonly Item[], now: number): Promise<void> {
    const gone = records.filter((item) => expired(item, now) && pending(item));
    await Promise.all(
      gone.map((item) =>
        this.gateway.update('other', 'held.dropExpired', retireExpiredRecord(this.tables, keyOf(item), now)),
      ),
    );
  }

  private read(topic: string, msgId: string): Promise<Item | undefined> {
    return this.gateway.get('other', 'held.get', {
      TableName: this.tables.held,
      Key: recordKey(topic, msgId),
      ConsistentRead: true,
    });
  }

  /** The records behind index entries, in the entries' order. */
  private async readAll(entries: readonly Item[], consistent: boolean): Promise<Item[]> {
    if (entries.length === 0) return [];
    const found = await this.gateway.batchGet('other', 'held.read', this.tables.held, entries.map(keyOf), consistent);
    const byKey = new Map(found.map((item) => [str(item, 'p'), item]));
    return entries.map((entry) => byKey.get(str(entry, 'p'))).filter((item) => item !== undefined);
  }
}
