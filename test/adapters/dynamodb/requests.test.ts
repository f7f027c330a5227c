import { describe, expect, it } from 'vitest';
import { CapacityMeter } from '../../../src/adapters/dynamodb/capacity.ts';
import {
  advanceCursor,
  removeLeaseEntries,
  updateLeaseEntry,
} from '../../../src/adapters/dynamodb/consumption-requests.ts';
import { createTableInput } from '../../../src/adapters/dynamodb/create-tables.ts';
import { backoffDelayMs, classifyError, withRetry } from '../../../src/adapters/dynamodb/errors.ts';
import { leasesOf, newLeaseItem } from '../../../src/adapters/dynamodb/lease-items.ts';
import { claimDedup, putSegment, reserveOffsets } from '../../../src/adapters/dynamodb/message-requests.ts';
import { tableDefinitions, tableNames } from '../../../src/adapters/dynamodb/table-definitions.ts';
import { NimbusError } from '../../../src/core/errors.ts';
import type { Lease } from '../../../src/core/ports/store.ts';

const tables = tableNames('unit');

describe('table definitions', () => {
  it('name tables from the prefix and map to CreateTable with every index keyed', () => {
    const defs = tableDefinitions('p1');
    expect(Object.values(defs).map((def) => def.tableName)).toEqual(['p1-messages', 'p1-state', 'p1-index', 'p1-held']);
    const input = createTableInput(defs.messages);
    expect(input.KeySchema).toEqual([
      { AttributeName: 'q', KeyType: 'HASH' },
      { AttributeName: 'o', KeyType: 'RANGE' },
    ]);
    expect(input.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([
      'by-store-ms',
      'by-queue-time',
      'queues',
    ]);
    expect(input.AttributeDefinitions?.map((a) => `${a.AttributeName}:${a.AttributeType}`).sort()).toEqual([
      'hk:S',
      'o:N',
      'q:S',
      'st:N',
      'ts:N',
    ]);
    expect(input.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    expect(createTableInput(defs.index).GlobalSecondaryIndexes).toBeUndefined();
  });
});

describe('request builders', () => {
  it('reserve offsets with one atomic ADD that returns the old counter', () => {
    const input = reserveOffsets(tables, 'orders#2', {
      count: 32,
      id: 'r1',
      at: 5,
      incarnation: 0,
    });
    expect(input.UpdateExpression).toContain('ADD n :count');
    expect(input.ReturnValues).toBe('ALL_OLD');
    expect(input.ExpressionAttributeValues?.[':count']).toEqual({ N: '32' });
    // Every reservation, the first of an append too, names the topic incarnation (the deletion fence).
    expect(input.ConditionExpression).toContain('(attribute_not_exists(ic) OR ic = :ic)');
    expect(input.ExpressionAttributeValues?.[':ic']).toEqual({ N: '0' });
  });

  it('put segments and claims only where nothing (or only something expired or stale) is', () => {
    expect(putSegment(tables, {}).ConditionExpression).toBe('attribute_not_exists(o)');
    const claim = claimDedup(
      tables,
      { topic: 't', messageId: 'm', owner: 'w1', expireAt: 9 },
      { now: 5, wallNow: 100, staleBefore: 90 },
      'OLD',
    );
    expect(claim.ConditionExpression).toBe(
      'attribute_not_exists(p) OR e <= :now OR (ks = :pending AND ca < :staleBefore) OR i = :stale',
    );
    expect(claim.Item?.['p']).toEqual({ S: 'D#t#m' });
  });

  it('move cursors only from the expected offset', () => {
    const input = advanceCursor(tables, 'g@c1', 'orders', 1, 10, 42);
    expect(input.ConditionExpression).toBe('#at = :from');
    // `cv` counts the cursor's moves, so a claim can tell its own move from a later one.
    expect(input.ExpressionAttributeValues).toEqual({ ':from': { N: '10' }, ':to': { N: '42' }, ':one': { N: '1' } });
    expect(input.Key).toEqual({ p: { S: 'C#g@c1#orders' }, s: { S: '1' } });
  });

  it('fence lease changes by token and keep the earliest time a lower bound', () => {
    const key = { p: { S: 'L#g#t' }, s: { S: '0#b' } };
    const extend = updateLeaseEntry(tables, key, 7, 'tok', { attempt: 2, visibleAt: 50, token: 'tok2' }, true);
    expect(extend.ConditionExpression).toBe('l.#o.t = :expected AND mv <= :v');
    expect(extend.UpdateExpression).not.toContain('mv =');
    const lower = updateLeaseEntry(tables, key, 7, 'tok', { attempt: 2, visibleAt: 50, token: 'tok2' }, false);
    expect(lower.UpdateExpression).toContain('mv = :v');
    const ack = removeLeaseEntries(tables, key, [
      { offset: 3, token: 'a' },
      { offset: 4, token: 'b' },
    ]);
    expect(ack.ConditionExpression).toBe('l.#o0.t = :t0 AND l.#o1.t = :t1');
    expect(ack.UpdateExpression).toBe('REMOVE l.#o0, l.#o1 ADD ver :one');
    expect(ack.ExpressionAttributeNames).toEqual({ '#o0': '3', '#o1': '4' });
  });

  it('keep one lease item per batch whose earliest time is the minimum', () => {
    const lease = (queueOffset: number, visibleAt: number): Lease => ({
      consumer: 'g',
      topic: 't',
      queueId: 2,
      queueOffset,
      batchId: 'c5',
      msgId: `m${queueOffset}`,
      attempt: 1,
      visibleAt,
      token: `t${queueOffset}`,
    });
    const leases = [lease(5, 300), lease(6, 200)];
    const item = newLeaseItem(leases);
    expect(item['mv']).toEqual({ N: '200' });
    expect(item['s']).toEqual({ S: '2#c5' });
    expect(leasesOf(item)).toEqual(leases);
  });
});

describe('error mapping', () => {
  const named = (name: string, extra: object = {}) => Object.assign(new Error(name), { name, ...extra });

  it('classifies conditional, throttled, transient and fatal errors', () => {
    expect(classifyError(named('ConditionalCheckFailedException'))).toBe('conditional');
    expect(classifyError(named('ProvisionedThroughputExceededException'))).toBe('throttled');
    expect(classifyError(named('ThrottlingException'))).toBe('throttled');
    expect(classifyError(named('InternalServerError'))).toBe('transient');
    expect(classifyError(named('X', { code: 'ECONNRESET' }))).toBe('transient');
    expect(classifyError(named('ValidationException'))).toBe('fatal');
    const cancelled = (...codes: string[]) =>
      named('TransactionCanceledException', { CancellationReasons: codes.map((Code) => ({ Code })) });
    expect(classifyError(cancelled('None', 'ConditionalCheckFailed'))).toBe('conditional');
    expect(classifyError(cancelled('ThrottlingError'))).toBe('throttled');
    expect(classifyError(cancelled('TransactionConflict', 'None'))).toBe('transient');
  });

  it('backs off exponentially with full jitter, capped', () => {
    const policy = { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 100 };
    expect(backoffDelayMs(policy, 0, () => 0.999)).toBe(9);
    expect(backoffDelayMs(policy, 3, () => 0.999)).toBe(79);
    expect(backoffDelayMs(policy, 10, () => 0.999)).toBe(99);
    expect(backoffDelayMs(policy, 10, () => 0)).toBe(0);
  });

  it('retries throttling until it passes, then gives up with STORE_THROTTLED', async () => {
    const policy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 };
    const noSleep = async () => {};
    let calls = 0;
    const flaky = () => {
      calls++;
      return calls < 3 ? Promise.reject(named('ThrottlingException')) : Promise.resolve('ok');
    };
    expect(await withRetry('op', policy, flaky, noSleep)).toBe('ok');
    const always = () => Promise.reject(named('ProvisionedThroughputExceededException'));
    const error = await withRetry('op', policy, always, noSleep).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NimbusError);
    expect(error).toMatchObject({ code: 'STORE_THROTTLED', retryable: true });
    const broken = await withRetry('op', policy, () => Promise.reject(named('ValidationException')), noSleep).catch(
      (caught: unknown) => caught,
    );
    expect(broken).toMatchObject({ code: 'INTERNAL' });
    const conditional = named('ConditionalCheckFailedException');
    await expect(withRetry('op', policy, () => Promise.reject(conditional), noSleep)).rejects.toBe(conditional);
  });
});

describe('capacity meter', () => {
  it('accumulates per kind and operation, and resets', () => {
    const meter = new CapacityMeter();
    meter.record('send', 'append.put', { wcu: 33 });
    meter.record('send', 'append.reserve', { wcu: 1 });
    meter.record('receive', 'readQueue', { rcu: 4.5 });
    meter.record('ack', 'deleteLeases', { wcu: 1, conditionalFailure: true });
    const snapshot = meter.snapshot();
    expect(snapshot.byKind.send).toEqual({ rcu: 0, wcu: 34, requests: 2, conditionalFailures: 0 });
    expect(snapshot.byKind.ack.conditionalFailures).toBe(1);
    expect(snapshot.total).toEqual({ rcu: 4.5, wcu: 35, requests: 4, conditionalFailures: 1 });
    expect(Object.keys(snapshot.byOperation)).toEqual(['append.put', 'append.reserve', 'deleteLeases', 'readQueue']);
    meter.reset();
    expect(meter.snapshot().total.requests).toBe(0);
  });
});
