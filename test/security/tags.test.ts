import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/core/limits.ts';
import { Producer } from '../../src/sdk/index.ts';
import { expectApiError, storedCount, unique, useServer } from '../http/helpers.ts';
import { startSqliteServer } from '../support/server.ts';

/** Tags and tag expressions over HTTP: one rule for both, and expressions of bounded size. */
describe('tags and tag expressions share one rule', () => {
  const server = useServer(startSqliteServer);

  it('refuses in an expression what it refuses as a tag: lone surrogates, NUL, control characters', async () => {
    const { client, broker } = server();
    const topic = unique('t');
    await client.createTopic(topic, { queueCount: 1 });
    for (const bad of ['\ud800', '\u0000', 'a\u001fb', 'ok||\udfff', 'a\u007f']) {
      await expectApiError(new Producer(client).send(topic, { body: 'x', tag: bad }), {
        code: 'INVALID_TAG',
        status: 400,
      });
      const group = unique('g');
      await expectApiError(client.createGroup(group, { subscriptions: [{ topic, tagExpression: bad }] }), {
        code: 'INVALID_TAG_EXPRESSION',
        status: 400,
      });
      expect(await broker.store.getGroup(group)).toBeUndefined();
    }
    expect(await storedCount(broker, topic)).toBe(0);
  });

  it(`accepts an expression of ${LIMITS.maxTagExpressionLength} characters and refuses one more, or 4 MB`, async () => {
    const { client } = server();
    const topic = unique('t');
    await client.createTopic(topic, { queueCount: 1 });
    // 9 tags of 112 characters and 8 separators: exactly 1,024 characters.
    const longest = Array.from({ length: 9 }, (_, i) => `${i}`.padEnd(112, 'x')).join('||');
    expect(longest).toHaveLength(LIMITS.maxTagExpressionLength);
    const accepted = unique('g');
    await client.createGroup(accepted, { subscriptions: [{ topic, tagExpression: longest }] });
    for (const tooLong of [`${longest}y`, 'a||'.repeat(1_400_000).concat('a')]) {
      const group = unique('g');
      await expectApiError(client.createGroup(group, { subscriptions: [{ topic, tagExpression: tooLong }] }), {
        code: 'INVALID_TAG_EXPRESSION',
        status: 400,
      });
      await expectApiError(client.getGroup(group), { code: 'GROUP_NOT_FOUND', status: 404 });
    }
    // The refused 4 MB expression left nothing behind that a listing would have to carry.
    const listing = await fetch(`${client.endpoint}/v1/groups`);
    expect(Number(listing.headers.get('content-length'))).toBeLessThan(16 * 1024);
  });
});
