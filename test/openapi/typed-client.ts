import type { paths } from 'nimbus-openapi-types';
import createClient from 'openapi-fetch';

/**
 * A client written only against the types openapi-typescript generates from /openapi.json,
 * the way an application in another language or codebase would use the document.
 * typed-client.test.ts type-checks it against freshly generated types and runs it.
 */
export async function useTypedClient(baseUrl: string) {
  const client = createClient<paths>({ baseUrl });
  const topic = { params: { path: { topic: 'typed-orders' } } };
  const group = { params: { path: { group: 'typed-billing' } } };

  const created = await client.PUT('/v1/topics/{topic}', { ...topic, body: { queueCount: 4 } });
  const retention = await client.PUT('/v1/topics/{topic}', { ...topic, body: { retentionHours: 48 } });
  const bodyless = await client.PUT('/v1/topics/{topic}', topic);
  const subscribed = await client.PUT('/v1/groups/{group}', {
    ...group,
    body: { subscriptions: [{ topic: 'typed-orders', tagExpression: 'paid || refunded' }] },
  });
  const one = await client.POST('/v1/topics/{topic}/messages', { ...topic, body: { body: 'one', tag: 'paid' } });
  const batch = await client.POST('/v1/topics/{topic}/messages', {
    ...topic,
    body: {
      messages: [
        { body: 'two', tag: 'refunded' },
        { body: 'skipped', tag: 'other' },
      ],
    },
  });
  const received = await client.POST('/v1/groups/{group}/receive', { ...group, body: { maxMessages: 32 } });
  const receiptHandles = (received.data?.messages ?? []).map(
    (message: { receiptHandle: string }) => message.receiptHandle,
  );
  const acked = await client.POST('/v1/groups/{group}/ack', { ...group, body: { receiptHandles } });
  const drained = await client.POST('/v1/groups/{group}/receive', group);
  const deadLetters = await client.GET('/v1/groups/{group}/dlq', {
    params: { path: { group: 'typed-billing' }, query: { limit: 10 } },
  });
  const health = await client.GET('/healthz', {});
  const refused = await client.POST('/v1/topics/{topic}/messages', { ...topic, body: { body: '' } });

  return {
    queueCount: created.data?.queueCount,
    afterRetentionUpdate: { queueCount: retention.data?.queueCount, retentionHours: retention.data?.retentionHours },
    afterBodylessPut: bodyless.data?.retentionHours,
    subscriptions: subscribed.data?.subscriptions,
    sentOne: one.data !== undefined && 'msgId' in one.data,
    sentBatch: batch.data !== undefined && 'results' in batch.data ? batch.data.results.length : undefined,
    received: received.data?.messages.map((message: { body: string }) => message.body).sort(),
    acked: acked.data?.results.map((result: { ok: boolean }) => result.ok),
    leftAfterAck: drained.data?.messages.length,
    deadLetters: deadLetters.data?.deadLetters.length,
    health: health.data?.status,
    refused: { status: refused.response.status, code: refused.error?.code },
    requestId: refused.response.headers.get('x-request-id'),
  };
}
