import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSendRequest, parseSendRequestBySchema } from '../../src/api/schemas/messages.ts';
import { NimbusError } from '../../src/core/errors.ts';
import { LIMITS } from '../../src/core/limits.ts';

type Outcome = { accepted: unknown } | { refused: string; message: string };

function outcome(parse: (value: unknown) => unknown, value: unknown): Outcome {
  try {
    return { accepted: parse(value) };
  } catch (error) {
    if (!(error instanceof NimbusError)) throw error;
    return { refused: error.code, message: error.message };
  }
}

/** Bodies near the plain shapes: the fast path's edges are where the two could disagree. */
const bodyValue = fc.oneof(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.constant(''),
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 2 }),
);
const extraField = fc.constantFrom('tag', 'keys', 'bodyEncoding', 'messageId', 'properties', 'messages', 'other');
const extraValue = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant(null), fc.constant(['k']));

const message = fc.oneof(
  fc.record({ body: bodyValue }),
  fc.record({ body: bodyValue }, { requiredKeys: [] }),
  fc.tuple(bodyValue, extraField, extraValue).map(([body, field, value]) => ({ body, [field]: value })),
  fc.string().map((body) => JSON.parse(`{"__proto__": {"x": 1}, "body": ${JSON.stringify(body)}}`)),
  fc.constantFrom(null, 'text', 7, [], [{ body: 'x' }]),
);

const batch = fc.oneof(
  fc.array(message, { minLength: 0, maxLength: LIMITS.maxBatchMessages + 2 }).map((messages) => ({ messages })),
  fc
    .array(fc.record({ body: fc.string({ minLength: 1, maxLength: 4 }) }), {
      minLength: LIMITS.maxBatchMessages - 1,
      maxLength: LIMITS.maxBatchMessages + 1,
    })
    .map((messages) => ({ messages })),
  fc.tuple(fc.array(message, { maxLength: 3 }), extraField, extraValue).map(([messages, field, value]) => ({
    messages,
    [field]: value,
  })),
  fc.oneof(fc.constant('not a list'), fc.constant(null), fc.record({ body: bodyValue })).map((messages) => ({
    messages,
  })),
);

describe('send fast path', () => {
  it('accepts and refuses exactly what the schema does, with the same result or error', () => {
    fc.assert(
      fc.property(fc.oneof(message, batch, fc.jsonValue()), (value) => {
        // Compared on a JSON copy, as the API hands the parser what JSON.parse made.
        const json = JSON.parse(JSON.stringify(value) ?? 'null');
        expect(outcome(parseSendRequest, json)).toEqual(outcome(parseSendRequestBySchema, json));
      }),
      { numRuns: 3_000 },
    );
  });

  it('takes the plain shapes without copying them, and leaves the rest to the schema', () => {
    const single = { body: 'hello' };
    expect(parseSendRequest(single)).toBe(single);
    const plainBatch = { messages: [{ body: 'a' }, { body: 'b' }] };
    expect(parseSendRequest(plainBatch)).toBe(plainBatch);
    const tagged = { body: 'hello', tag: 'TagA' };
    expect(parseSendRequest(tagged)).not.toBe(tagged);
    expect(parseSendRequest(tagged)).toEqual(tagged);
  });
});
