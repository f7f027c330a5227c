import type { ErrorCode } from '../../src/core/errors.ts';
import { LIMITS } from '../../src/core/limits.ts';

/**
 * Requests at the edge of every limit the schemas state: each just inside (`accept`) and just
 * outside (`refuse`, with the broker's code). boundaries.test.ts checks that the document's
 * schemas and the server both agree with each row.
 */
export interface BoundaryCase {
  name: string;
  method: 'GET' | 'PUT' | 'POST';
  path: string;
  /** The JSON body; a function when the body needs a live value (a receipt handle). */
  body?: unknown | ((fixture: Fixture) => Promise<unknown>);
  query?: Record<string, string>;
  /** Undefined: accepted. Otherwise refused with this code (`INVALID_REQUEST` family included). */
  refusedWith?: ErrorCode;
}

export interface Fixture {
  /** A receipt handle of a message just received by the fixture's group. */
  receiptHandle(): Promise<string>;
}

/** Fixtures every row may rely on (created before the rows run). */
export const FIXTURE = {
  topic: 'b-orders',
  group: 'b-billing',
  longTopic: 'T'.repeat(LIMITS.nameMaxLength),
  longGroup: 'G'.repeat(LIMITS.nameMaxLength),
  /** Topics for a group with the most subscriptions. */
  manyTopics: Array.from({ length: LIMITS.maxSubscriptions }, (_, i) => `b-sub-${i}`),
} as const;

const n = (length: number, char = 'a') => char.repeat(length);
const props = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, 'v']));
const messages = (count: number) => Array.from({ length: count }, (_, i) => ({ body: `m${i}` }));
/** A valid tag expression of exactly `length` characters: full-length tags joined by ` || `. */
function tagExpressionOf(length: number): string {
  const parts: string[] = [];
  let total = 0;
  while (total < length) {
    const room = length - total - (parts.length > 0 ? 4 : 0);
    const tag = n(Math.min(LIMITS.maxTagLength, room), String.fromCharCode(97 + (parts.length % 26)));
    total += tag.length + (parts.length > 0 ? 4 : 0);
    parts.push(tag);
  }
  return parts.join(' || ');
}

let unique = 0;
const fresh = (prefix: string) => `${prefix}-${++unique}`;

function send(name: string, body: unknown, refusedWith?: ErrorCode, topic: string = FIXTURE.topic): BoundaryCase {
  return { name: `send: ${name}`, method: 'POST', path: `/v1/topics/${topic}/messages`, body, refusedWith };
}
function putTopic(name: string, body: unknown, refusedWith?: ErrorCode, topic = fresh('b-topic')): BoundaryCase {
  return { name: `put topic: ${name}`, method: 'PUT', path: `/v1/topics/${topic}`, body, refusedWith };
}
function putGroup(name: string, body: unknown, refusedWith?: ErrorCode): BoundaryCase {
  return { name: `put group: ${name}`, method: 'PUT', path: `/v1/groups/${fresh('b-group')}`, body, refusedWith };
}
const subscribe = (tagExpression: string) => ({ subscriptions: [{ topic: FIXTURE.topic, tagExpression }] });
function consume(action: string, name: string, body: BoundaryCase['body'], refusedWith?: ErrorCode): BoundaryCase {
  return {
    name: `${action}: ${name}`,
    method: 'POST',
    path: `/v1/groups/${FIXTURE.group}/${action}`,
    body,
    refusedWith,
  };
}
function deadLetters(name: string, query: Record<string, string>, refusedWith?: ErrorCode): BoundaryCase {
  return { name: `dlq: ${name}`, method: 'GET', path: `/v1/groups/${FIXTURE.group}/dlq`, query, refusedWith };
}

const { maxTagLength: tag, maxKeyLength: key, maxMessageIdLength: id, maxClientIdLength: client } = LIMITS;

export const BOUNDARY_CASES: readonly BoundaryCase[] = [
  send('a 1-character body', { body: 'x' }),
  send('an empty body', { body: '' }, 'EMPTY_BODY'),
  send('an empty base64 body', { body: '', bodyEncoding: 'base64' }, 'EMPTY_BODY'),
  send('no body field', { tag: 'a' }, 'INVALID_REQUEST'),
  send(`a ${tag}-character tag`, { body: 'x', tag: n(tag) }),
  send(`a ${tag}-character non-ASCII tag`, { body: 'x', tag: n(tag, 'é') }),
  send(`a ${tag + 1}-character tag`, { body: 'x', tag: n(tag + 1) }, 'INVALID_TAG'),
  send('an empty tag', { body: 'x', tag: '' }, 'INVALID_TAG'),
  send('a tag with a space', { body: 'x', tag: 'a b' }, 'INVALID_TAG'),
  send('a tag with a no-break space', { body: 'x', tag: 'a\u00a0b' }, 'INVALID_TAG'),
  send('a tag with |', { body: 'x', tag: 'a|b' }, 'INVALID_TAG'),
  send('a tag with *', { body: 'x', tag: 'a*' }, 'INVALID_TAG'),
  send('a tag with a control character', { body: 'x', tag: 'a\u0001' }, 'INVALID_TAG'),
  send('a tag with DEL', { body: 'x', tag: 'a\u007f' }, 'INVALID_TAG'),
  send('a number as tag', { body: 'x', tag: 5 }, 'INVALID_REQUEST'),
  send('no keys', { body: 'x', keys: [] }),
  send(`a ${key}-character key`, { body: 'x', keys: [n(key)] }),
  send(`a ${key + 1}-character key`, { body: 'x', keys: [n(key + 1)] }, 'INVALID_KEY'),
  send('an empty key', { body: 'x', keys: [''] }, 'INVALID_KEY'),
  send('a key with a space', { body: 'x', keys: ['order 1'] }, 'INVALID_KEY'),
  send(`a ${id}-character messageId`, { body: 'x', messageId: n(id, 'i') }),
  send(`a ${id + 1}-character messageId`, { body: 'x', messageId: n(id + 1, 'i') }, 'INVALID_MESSAGE_ID'),
  send('an empty messageId', { body: 'x', messageId: '' }, 'INVALID_MESSAGE_ID'),
  send(`${LIMITS.maxProperties} properties`, { body: 'x', properties: props(LIMITS.maxProperties) }),
  send(
    `${LIMITS.maxProperties + 1} properties`,
    { body: 'x', properties: props(LIMITS.maxProperties + 1) },
    'TOO_MANY_PROPERTIES',
  ),
  send('an empty property name', { body: 'x', properties: { '': 'v' } }, 'INVALID_PROPERTY'),
  send('a number as property value', { body: 'x', properties: { a: 1 } }, 'INVALID_REQUEST'),
  send('an unknown field', { body: 'x', priority: 1 }, 'INVALID_REQUEST'),
  send('body and messages together', { body: 'x', messages: messages(1) }, 'INVALID_REQUEST'),
  send('a batch of 1', { messages: messages(1) }),
  send(`a batch of ${LIMITS.maxBatchMessages}`, { messages: messages(LIMITS.maxBatchMessages) }),
  send(
    `a batch of ${LIMITS.maxBatchMessages + 1}`,
    { messages: messages(LIMITS.maxBatchMessages + 1) },
    'BATCH_TOO_LARGE',
  ),
  send('an empty batch', { messages: [] }, 'INVALID_ARGUMENT'),
  send('a batch with a bad tag', { messages: [{ body: 'x' }, { body: 'y', tag: n(tag + 1) }] }, 'INVALID_TAG'),
  send(`to a ${LIMITS.nameMaxLength}-character topic`, { body: 'x' }, undefined, FIXTURE.longTopic),
  send(
    `to a ${LIMITS.nameMaxLength + 1}-character topic`,
    { body: 'x' },
    'INVALID_TOPIC_NAME',
    `${FIXTURE.longTopic}T`,
  ),

  putTopic('no body', undefined),
  putTopic('an empty object', {}),
  putTopic(`${LIMITS.maxQueueCount} queues`, { queueCount: LIMITS.maxQueueCount }),
  putTopic(`${LIMITS.maxQueueCount + 1} queues`, { queueCount: LIMITS.maxQueueCount + 1 }, 'INVALID_ARGUMENT'),
  putTopic('0 queues', { queueCount: 0 }, 'INVALID_ARGUMENT'),
  putTopic('1.5 queues', { queueCount: 1.5 }, 'INVALID_REQUEST'),
  putTopic('1 hour retention', { retentionHours: 1 }),
  putTopic('72 hours retention', { retentionHours: LIMITS.maxRetentionMs / 3_600_000 }),
  putTopic('73 hours retention', { retentionHours: LIMITS.maxRetentionMs / 3_600_000 + 1 }, 'INVALID_ARGUMENT'),
  putTopic('0 hours retention', { retentionHours: 0 }, 'INVALID_ARGUMENT'),
  putTopic('a FIFO topic', { messageType: 'FIFO' }),
  putTopic('an unknown message type', { messageType: 'BOGUS' }, 'INVALID_REQUEST'),
  putTopic(`a ${LIMITS.nameMaxLength}-character name`, {}, undefined, n(LIMITS.nameMaxLength, 'x')),
  putTopic(`a ${LIMITS.nameMaxLength + 1}-character name`, {}, 'INVALID_TOPIC_NAME', n(LIMITS.nameMaxLength + 1, 'x')),
  putTopic('a name with %', {}, 'INVALID_TOPIC_NAME', '%25DLQ%25x'),

  putGroup('no subscriptions', { subscriptions: [] }),
  putGroup('no body', undefined, 'INVALID_REQUEST'),
  putGroup('a subscription without tag expression', { subscriptions: [{ topic: FIXTURE.topic }] }),
  putGroup(`a ${LIMITS.nameMaxLength}-character topic`, { subscriptions: [{ topic: FIXTURE.longTopic }] }),
  putGroup(
    `a ${LIMITS.nameMaxLength + 1}-character topic`,
    { subscriptions: [{ topic: `${FIXTURE.longTopic}T` }] },
    'INVALID_TOPIC_NAME',
  ),
  putGroup('a topic name with a space', { subscriptions: [{ topic: 'two words' }] }, 'INVALID_TOPIC_NAME'),
  putGroup(`${LIMITS.maxSubscriptions} subscriptions`, {
    subscriptions: FIXTURE.manyTopics.map((topic) => ({ topic })),
  }),
  putGroup(
    `${LIMITS.maxSubscriptions + 1} subscriptions`,
    { subscriptions: [...FIXTURE.manyTopics, 'b-sub-extra'].map((topic) => ({ topic })) },
    'INVALID_ARGUMENT',
  ),
  putGroup('tag expression *', subscribe('*')),
  putGroup('an empty tag expression', subscribe('')),
  putGroup('tag expression a || b, spaced', subscribe('  a  ||  b  ')),
  putGroup('tag expression a||b', subscribe('a||b')),
  putGroup(
    `a ${LIMITS.maxTagExpressionLength}-character tag expression`,
    subscribe(tagExpressionOf(LIMITS.maxTagExpressionLength)),
  ),
  putGroup(
    `a ${LIMITS.maxTagExpressionLength + 1}-character tag expression`,
    subscribe(tagExpressionOf(LIMITS.maxTagExpressionLength + 1)),
    'INVALID_TAG_EXPRESSION',
  ),
  putGroup(`a ${tag}-character tag in an expression`, subscribe(`x || ${n(tag)}`)),
  putGroup(`a ${tag + 1}-character tag in an expression`, subscribe(`x || ${n(tag + 1)}`), 'INVALID_TAG_EXPRESSION'),
  putGroup('a dangling ||', subscribe('a ||'), 'INVALID_TAG_EXPRESSION'),
  putGroup('a lone ||', subscribe('||'), 'INVALID_TAG_EXPRESSION'),
  putGroup('a single |', subscribe('a | b'), 'INVALID_TAG_EXPRESSION'),
  putGroup('* with a tag', subscribe('* || a'), 'INVALID_TAG_EXPRESSION'),
  putGroup('a control character in an expression', subscribe('a\u0001'), 'INVALID_TAG_EXPRESSION'),
  putGroup('1000 delivery attempts', { subscriptions: [], maxDeliveryAttempts: LIMITS.maxMaxDeliveryAttempts }),
  putGroup(
    '1001 delivery attempts',
    { subscriptions: [], maxDeliveryAttempts: LIMITS.maxMaxDeliveryAttempts + 1 },
    'INVALID_ARGUMENT',
  ),
  putGroup('0 delivery attempts', { subscriptions: [], maxDeliveryAttempts: 0 }, 'INVALID_ARGUMENT'),
  putGroup('an unknown field', { subscriptions: [], owner: 'me' }, 'INVALID_REQUEST'),

  consume('receive', 'no body', undefined),
  consume('receive', 'an empty object', {}),
  consume('receive', `${LIMITS.maxReceiveMessages} messages`, { maxMessages: LIMITS.maxReceiveMessages }),
  consume('receive', `${LIMITS.maxReceiveMessages + 1} messages`, { maxMessages: 33 }, 'INVALID_ARGUMENT'),
  consume('receive', '0 messages', { maxMessages: 0 }, 'INVALID_ARGUMENT'),
  consume('receive', 'the shortest invisible time', { invisibleDurationMs: LIMITS.minInvisibleMs }),
  consume(
    'receive',
    'too short an invisible time',
    { invisibleDurationMs: LIMITS.minInvisibleMs - 1 },
    'INVALID_ARGUMENT',
  ),
  consume('receive', 'the longest invisible time', { invisibleDurationMs: LIMITS.maxInvisibleMs }),
  consume(
    'receive',
    'too long an invisible time',
    { invisibleDurationMs: LIMITS.maxInvisibleMs + 1 },
    'INVALID_ARGUMENT',
  ),
  consume('receive', 'no wait', { waitMs: 0 }),
  consume('receive', 'too long a wait', { waitMs: LIMITS.maxWaitMs + 1 }, 'INVALID_ARGUMENT'),
  consume('receive', 'a negative wait', { waitMs: -1 }, 'INVALID_ARGUMENT'),
  consume('receive', `a ${client}-character clientId`, { clientId: n(client, 'c') }),
  consume('receive', `a ${client + 1}-character clientId`, { clientId: n(client + 1, 'c') }, 'INVALID_CLIENT_ID'),
  consume('receive', 'a clientId with a space', { clientId: 'a b' }, 'INVALID_CLIENT_ID'),
  consume('receive', 'an empty clientId', { clientId: '' }, 'INVALID_CLIENT_ID'),
  {
    name: `receive: a ${LIMITS.nameMaxLength}-character group`,
    method: 'POST',
    path: `/v1/groups/${FIXTURE.longGroup}/receive`,
  },
  {
    name: `receive: a ${LIMITS.nameMaxLength + 1}-character group`,
    method: 'POST',
    path: `/v1/groups/${FIXTURE.longGroup}G/receive`,
    refusedWith: 'INVALID_GROUP_NAME',
  },
  consume('ack', '1 handle', { receiptHandles: ['stale'] }),
  consume('ack', '100 handles', { receiptHandles: Array.from({ length: 100 }, () => 'stale') }),
  consume('ack', '101 handles', { receiptHandles: Array.from({ length: 101 }, () => 'stale') }, 'INVALID_ARGUMENT'),
  consume('ack', 'no handles', { receiptHandles: [] }, 'INVALID_ARGUMENT'),
  consume('ack', 'no body', undefined, 'INVALID_REQUEST'),
  consume('nack', 'no delay', { receiptHandles: ['stale'], delayMs: 0 }),
  consume('nack', 'the longest delay', { receiptHandles: ['stale'], delayMs: LIMITS.maxNackDelayMs }),
  consume(
    'nack',
    'too long a delay',
    { receiptHandles: ['stale'], delayMs: LIMITS.maxNackDelayMs + 1 },
    'INVALID_ARGUMENT',
  ),
  consume('change-invisible-duration', 'visible at once', async (fixture: Fixture) => ({
    receiptHandle: await fixture.receiptHandle(),
    invisibleDurationMs: 0,
  })),
  consume('change-invisible-duration', 'the longest', async (fixture: Fixture) => ({
    receiptHandle: await fixture.receiptHandle(),
    invisibleDurationMs: LIMITS.maxInvisibleMs,
  })),
  consume(
    'change-invisible-duration',
    'too long',
    { receiptHandle: 'stale', invisibleDurationMs: LIMITS.maxInvisibleMs + 1 },
    'INVALID_ARGUMENT',
  ),
  consume(
    'change-invisible-duration',
    'negative',
    { receiptHandle: 'stale', invisibleDurationMs: -1 },
    'INVALID_ARGUMENT',
  ),

  deadLetters('no query', {}),
  deadLetters('limit 1', { limit: '1' }),
  deadLetters('limit 1000', { limit: '1000' }),
  deadLetters('limit 0', { limit: '0' }, 'INVALID_ARGUMENT'),
  deadLetters('limit 1001', { limit: '1001' }, 'INVALID_ARGUMENT'),
  deadLetters('limit abc', { limit: 'abc' }, 'INVALID_REQUEST'),
  deadLetters('limit 1.5', { limit: '1.5' }, 'INVALID_REQUEST'),
  deadLetters('an empty after', { after: '' }, 'INVALID_ARGUMENT'),
  deadLetters('a 513-character after', { after: n(513) }, 'INVALID_ARGUMENT'),
  consume('dlq/redrive', 'no body', undefined),
  consume('dlq/redrive', 'limit 1000', { limit: 1000 }),
  consume('dlq/redrive', 'limit 1001', { limit: 1001 }, 'INVALID_ARGUMENT'),
  consume('dlq/redrive', 'limit 0', { limit: 0 }, 'INVALID_ARGUMENT'),
  consume('dlq/redrive', '1000 msgIds', { msgIds: Array.from({ length: 1000 }, (_, i) => `m${i}`) }),
  consume(
    'dlq/redrive',
    '1001 msgIds',
    { msgIds: Array.from({ length: 1001 }, (_, i) => `m${i}`) },
    'INVALID_ARGUMENT',
  ),
];
