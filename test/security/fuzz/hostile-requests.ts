/** A request the fuzzer sends: raw enough to carry what the SDK never would. */
export interface FuzzRequest {
  method: string;
  /** Already encoded, query string included. */
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

const json = { 'content-type': 'application/json' };

/** A receipt handle shaped like a real one (base64url of JSON) naming things that do not exist. */
function forgedHandle(fields: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(fields)).toString('base64url');
}

/**
 * Hand-written hostile requests: forged receipt handles, duplicate keys, huge numbers,
 * odd Unicode and bytes, deep nesting, wrong media types. `handles` are real receipt
 * handles of the fuzzed group, mutated here.
 */
export function hostileRequests(handles: readonly string[]): FuzzRequest[] {
  const real = handles[0] ?? 'none';
  const forged = [
    forgedHandle({ g: 'fz-billing', t: 'fz-orders', q: 0, o: 0, k: 'forged' }),
    forgedHandle({ g: 'other', t: 'payroll', q: -1, o: 1e308 }),
    forgedHandle({ __proto__: { polluted: true } }),
    `${real.slice(0, -2)}AA`,
    real.split('').reverse().join(''),
    `${real}${real}`,
    'x'.repeat(100_000),
    '\ud800',
    '',
    '%%%',
  ];
  const settle = (route: string, body: unknown): FuzzRequest => ({
    method: 'POST',
    path: `/v1/groups/fz-billing/${route}`,
    headers: json,
    body: JSON.stringify(body),
  });
  const raw = (
    method: string,
    path: string,
    body: string | Uint8Array,
    headers: Record<string, string> = json,
  ): FuzzRequest => ({
    method,
    path,
    headers,
    body,
  });
  return [
    ...forged.map((handle) => settle('ack', { receiptHandles: [handle] })),
    ...forged.map((handle) => settle('nack', { receiptHandles: [handle], delayMs: 0 })),
    ...forged.map((handle) =>
      settle('change-invisible-duration', { receiptHandle: handle, invisibleDurationMs: 10_000 }),
    ),
    settle('ack', { receiptHandles: Array(100).fill(real) }),
    // The same handle settled in a group it does not belong to.
    { ...settle('ack', { receiptHandles: [real] }), path: '/v1/groups/fz-other/ack' },
    // Duplicate keys: JSON.parse keeps the last; nothing may trip over the first.
    raw('POST', '/v1/topics/fz-orders/messages', '{"body":"a","body":{"x":1}}'),
    raw('PUT', '/v1/topics/fz-new', '{"queueCount":1,"queueCount":"x"}'),
    raw('PUT', '/v1/groups/fz-billing', '{"subscriptions":[],"subscriptions":[{"topic":"payroll"}]}'),
    raw('POST', '/v1/topics/fz-orders/messages', '{"body":"a","properties":{"__proto__":"x","a":"b"}}'),
    raw('POST', '/v1/topics/fz-orders/messages', '{"body":"a","properties":{"__proto__":{"polluted":"x"}}}'),
    // Huge numbers.
    raw('PUT', '/v1/topics/fz-new', '{"queueCount":1e999}'),
    raw('PUT', '/v1/topics/fz-new', '{"queueCount":123456789012345678901234567890}'),
    raw('POST', '/v1/groups/fz-billing/receive', '{"maxMessages":-1e308,"waitMs":1e400}'),
    raw('POST', '/v1/topics/fz-orders/messages', '{"body":"a","delayMs":9007199254740993}'),
    raw('POST', '/v1/topics/fz-orders/messages', '{"body":"a","deliverAt":-0}'),
    raw('GET', '/v1/groups/fz-billing/dlq?limit=99999999999999999999&after=%00', ''),
    // Odd Unicode and bytes.
    raw('POST', '/v1/topics/fz-orders/messages', '{"body":"\\ud800","tag":"\\udfff","keys":["\\u0000"]}'),
    raw('POST', '/v1/topics/fz-orders/messages', Uint8Array.from([0x7b, 0x22, 0x62, 0xff, 0xfe, 0x22, 0x7d])),
    raw('POST', '/v1/topics/fz-orders/messages', `\ufeff{"body":"bom"}`),
    raw('POST', '/v1/topics/fz-orders/messages', '{"body":"x","bodyEncoding":"base64"}'),
    raw('POST', '/v1/topics/fz-orders/messages', '{"body":"!!!not base64","bodyEncoding":"base64"}'),
    raw('PUT', '/v1/topics/%F0%9F%98%80', '{}'),
    raw('PUT', '/v1/topics/%E0%A4%A', '{}'),
    raw('PUT', '/v1/topics/%25DLQ%25fz-billing', '{}'),
    raw('DELETE', '/v1/topics/%2e%2e', ''),
    // Deep nesting and wrong shapes.
    raw('PUT', '/v1/groups/fz-deep', `${'['.repeat(100_000)}${']'.repeat(100_000)}`),
    raw('PUT', '/v1/groups/fz-deep', `{"subscriptions":${'['.repeat(5_000)}${']'.repeat(5_000)}}`),
    raw('POST', '/v1/topics/fz-orders/messages', 'null'),
    raw('POST', '/v1/topics/fz-orders/messages', '"just a string"'),
    raw('POST', '/v1/topics/fz-orders/messages', '{"messages":[]}'),
    raw('POST', '/v1/topics/fz-orders/messages', JSON.stringify({ messages: Array(33).fill({ body: 'x' }) })),
    // Media types.
    raw('POST', '/v1/topics/fz-orders/messages', '{"body":"a"}', { 'content-type': 'text/plain' }),
    raw('POST', '/v1/topics/fz-orders/messages', '{"body":"a"}', {
      'content-type': 'application/json; charset=utf-16',
    }),
    raw('POST', '/v1/topics/fz-orders/messages', '{"body":"a"}', {}),
    // Methods and paths nobody serves.
    raw('PATCH', '/v1/topics/fz-orders', '{}'),
    raw('TRACE', '/v1/topics', ''),
    raw('GET', `/v1/${'a/'.repeat(2_000)}`, ''),
    raw('GET', '/v1/topics/fz-orders/messages/../../groups', ''),
  ];
}
