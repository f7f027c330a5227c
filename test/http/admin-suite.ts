import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { ALL_ROUTE_SPECS } from '../../src/api/routes.ts';
import { ConflictError, NotFoundError, Producer, SimpleConsumer } from '../../src/sdk/index.ts';
import type { StartServer } from '../support/server.ts';
import { expectApiError, unique, useServer } from './helpers.ts';

/** Topics, groups, health and the OpenAPI document, through the SDK and plain HTTP. */
export function describeAdminSuite(label: string, start: StartServer): void {
  describe(`${label}: admin`, () => {
    const server = useServer(start);

    it('creates topics idempotently, lists, describes and deletes them', async () => {
      const { client } = server();
      const name = unique('orders');
      const created = await client.createTopic(name, { queueCount: 3, retentionHours: 24 });
      expect(created).toMatchObject({ name, messageType: 'NORMAL', queueCount: 3, retentionHours: 24 });
      expect(await client.createTopic(name, { queueCount: 3, retentionHours: 24 })).toEqual(created);
      const shorter = await client.createTopic(name, { queueCount: 3, retentionHours: 2 });
      expect(shorter).toEqual({ ...created, retentionHours: 2 });
      expect(await client.getTopic(name)).toEqual(shorter);
      expect((await client.listTopics()).map((t) => t.name)).toContain(name);
      await expectApiError(client.createTopic(name, { queueCount: 4 }), {
        code: 'TOPIC_CONFLICT',
        status: 409,
        type: ConflictError,
      });
      await client.deleteTopic(name);
      await expectApiError(client.getTopic(name), { code: 'TOPIC_NOT_FOUND', status: 404, type: NotFoundError });
      await expectApiError(client.deleteTopic(name), { code: 'TOPIC_NOT_FOUND', status: 404 });
      expect((await client.listTopics()).map((t) => t.name)).not.toContain(name);
    });

    it('creates, updates, lists and deletes consumer groups', async () => {
      const { client } = server();
      const [a, b] = [unique('a'), unique('b')];
      await client.createTopic(a);
      await client.createTopic(b);
      const group = unique('billing');
      const created = await client.createGroup(group, {
        subscriptions: [{ topic: a, tagExpression: 'paid||refunded' }],
        maxDeliveryAttempts: 5,
      });
      expect(created).toMatchObject({
        name: group,
        consumeMode: 'CLUSTERING',
        maxDeliveryAttempts: 5,
        subscriptions: [{ topic: a, tagExpression: 'paid || refunded' }],
      });
      const updated = await client.createGroup(group, { subscriptions: [{ topic: a }, { topic: b }] });
      expect(updated.subscriptions).toEqual([
        { topic: a, tagExpression: '*' },
        { topic: b, tagExpression: '*' },
      ]);
      expect(await client.getGroup(group)).toEqual(updated);
      expect((await client.listGroups()).map((g) => g.name)).toContain(group);
      // A valid request that contradicts the existing group: a conflict, like a topic's type or queue count.
      await expectApiError(client.createGroup(group, { subscriptions: [], consumeMode: 'BROADCASTING' }), {
        code: 'GROUP_CONFLICT',
        status: 409,
        type: ConflictError,
      });
      await client.deleteGroup(group);
      await expectApiError(client.getGroup(group), { code: 'GROUP_NOT_FOUND', status: 404, type: NotFoundError });
      await expectApiError(new SimpleConsumer(client, { group }).receive(), { code: 'GROUP_NOT_FOUND', status: 404 });
    });

    it('refuses groups on missing topics or with bad tag expressions', async () => {
      const { client } = server();
      const topic = unique('t');
      await client.createTopic(topic);
      await expectApiError(client.createGroup(unique('g'), { subscriptions: [{ topic: unique('missing') }] }), {
        code: 'TOPIC_NOT_FOUND',
        status: 404,
      });
      for (const tagExpression of ['a b', 'a ||', '*||a']) {
        await expectApiError(client.createGroup(unique('g'), { subscriptions: [{ topic, tagExpression }] }), {
          code: 'INVALID_TAG_EXPRESSION',
          status: 400,
        });
      }
    });

    it('starts a new group at the end of the topic', async () => {
      const { client } = server();
      const topic = unique('t');
      await client.createTopic(topic, { queueCount: 1 });
      await new Producer(client).send(topic, 'before');
      const group = unique('g');
      await client.createGroup(group, { subscriptions: [{ topic }] });
      await new Producer(client).send(topic, 'after');
      const received = await new SimpleConsumer(client, { group }).receive({ maxMessages: 32 });
      expect(received.map((m) => m.text())).toEqual(['after']);
    });

    it('starts a subscription removed and added again at the topic end, not where it stopped', async () => {
      const { client } = server();
      const [kept, toggled] = [unique('kept'), unique('toggled')];
      await client.createTopic(kept, { queueCount: 1 });
      await client.createTopic(toggled, { queueCount: 2 });
      const both = { subscriptions: [{ topic: kept }, { topic: toggled }] };
      const clustering = unique('clustering');
      const broadcasting = unique('broadcasting');
      await client.createGroup(clustering, both);
      await client.createGroup(broadcasting, { ...both, consumeMode: 'BROADCASTING' });
      const producer = new Producer(client);
      const early = new SimpleConsumer(client, { group: broadcasting, clientId: 'early' });
      await producer.send(toggled, 'while subscribed');
      expect((await early.receive({ maxMessages: 32 })).map((m) => m.text())).toEqual(['while subscribed']);

      await client.createGroup(clustering, { subscriptions: [{ topic: kept }] });
      await client.createGroup(broadcasting, { subscriptions: [{ topic: kept }], consumeMode: 'BROADCASTING' });
      await producer.sendBatch(toggled, ['while unsubscribed 1', 'while unsubscribed 2']);
      await client.createGroup(clustering, both);
      await client.createGroup(broadcasting, { ...both, consumeMode: 'BROADCASTING' });
      await producer.send(toggled, 'after subscribing again');

      const consumers = [
        new SimpleConsumer(client, { group: clustering }),
        early,
        new SimpleConsumer(client, { group: broadcasting, clientId: 'late' }),
      ];
      for (const consumer of consumers) {
        const received = await consumer.receive({ maxMessages: 32 });
        expect(received.map((m) => m.text())).toEqual(['after subscribing again']);
      }
    });

    it('deletes a topic that groups subscribe to: they receive nothing from it, then its successor', async () => {
      const { client } = server();
      const [doomed, other] = [unique('doomed'), unique('other')];
      await client.createTopic(doomed, { queueCount: 2 });
      await client.createTopic(other, { queueCount: 1 });
      const group = unique('g');
      await client.createGroup(group, { subscriptions: [{ topic: doomed }, { topic: other }] });
      const producer = new Producer(client);
      await producer.send(doomed, 'lost with its topic');
      const consumer = new SimpleConsumer(client, { group });
      const [held] = await consumer.receive();
      expect(held?.text()).toBe('lost with its topic');
      await producer.send(doomed, 'never read');
      await client.deleteTopic(doomed);
      await producer.send(other, 'still flowing');
      expect((await consumer.receive({ maxMessages: 32 })).map((m) => m.text())).toEqual(['still flowing']);
      expect((await consumer.ack(held!))[0]).toMatchObject({ ok: false, code: 'RECEIPT_HANDLE_EXPIRED' });
      expect((await client.getGroup(group)).subscriptions.map((sub) => sub.topic)).toEqual([doomed, other]);

      await client.createTopic(doomed, { queueCount: 2 });
      await producer.send(doomed, 'new topic, same name');
      expect((await consumer.receive({ maxMessages: 32 })).map((m) => m.text())).toEqual(['new topic, same name']);
    });

    it('answers the health check', async () => {
      const response = await fetch(`${server().url}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    });

    it('serves a valid OpenAPI 3.1 document with every route', async () => {
      const response = await fetch(`${server().url}/openapi.json`);
      expect(response.status).toBe(200);
      const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
      expect(document.openapi).toBe('3.1.0');
      // Throws with the offending location when the document breaks the OpenAPI 3.1 schema or a $ref dangles.
      await SwaggerParser.validate(structuredClone(document) as never);
      const documented = Object.entries(document.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      );
      const routed = ALL_ROUTE_SPECS.map((spec) => `${spec.method} ${spec.path}`);
      expect(documented.sort()).toEqual(routed.sort());
      const required = [
        'PUT /v1/topics/{topic}',
        'GET /v1/topics',
        'DELETE /v1/groups/{group}',
        'POST /v1/topics/{topic}/messages',
        'POST /v1/groups/{group}/receive',
        'POST /v1/groups/{group}/ack',
        'POST /v1/groups/{group}/nack',
        'POST /v1/groups/{group}/change-invisible-duration',
        'GET /v1/groups/{group}/dlq',
        'POST /v1/groups/{group}/dlq/redrive',
        'GET /openapi.json',
        'GET /healthz',
      ];
      for (const route of required) expect(documented).toContain(route);
    });
  });
}
