import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSqliteStore } from '../../src/adapters/sqlite/sqlite-store.ts';
import { main } from '../../src/cli/main.ts';
import type { BrokerStore } from '../../src/core/ports/store.ts';
import { type EmbeddedServer, startEmbeddedServer } from '../../src/local/embedded-server.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let server: EmbeddedServer;
let store: BrokerStore;

beforeAll(async () => {
  store = openSqliteStore({ path: ':memory:' });
  server = await startEmbeddedServer({ store });
});

afterAll(async () => {
  await server.close();
  await store.close();
});

/** Runs one `nimbus` invocation in this process (against the test server unless --endpoint is given), capturing its output. */
async function nimbus(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const log = vi.spyOn(console, 'log').mockImplementation((...parts) => {
    stdout += `${parts.join(' ')}\n`;
  });
  const error = vi.spyOn(console, 'error').mockImplementation((...parts) => {
    stderr += `${parts.join(' ')}\n`;
  });
  try {
    const code = await main(args.includes('--endpoint') ? args : [...args, '--endpoint', server.url]);
    return { code, stdout, stderr };
  } finally {
    for (const spy of [out, err, log, error]) spy.mockRestore();
  }
}

async function json(...args: string[]): Promise<unknown> {
  const run = await nimbus(...args, '--json');
  expect(run, run.stderr).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(run.stdout);
}

describe('nimbus commands against a running broker', () => {
  it('manages topics and groups, with --json output for every command', async () => {
    expect(await json('topic', 'create', 'cmd-orders', '--queues', '2', '--retention-hours', '24')).toMatchObject({
      name: 'cmd-orders',
      messageType: 'NORMAL',
      queueCount: 2,
      retentionHours: 24,
    });
    expect(await json('topic', 'list')).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'cmd-orders' })]),
    );
    expect(
      await json('group', 'create', 'cmd-billing', '--subscribe', 'cmd-orders=paid || refunded', '--max-attempts', '3'),
    ).toMatchObject({
      subscriptions: [{ topic: 'cmd-orders', tagExpression: 'paid || refunded' }],
      maxDeliveryAttempts: 3,
    });
    expect(await json('group', 'list')).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'cmd-billing' })]),
    );
    expect(await json('group', 'delete', 'cmd-billing')).toEqual({ deleted: 'cmd-billing' });
    expect(await json('topic', 'delete', 'cmd-orders')).toEqual({ deleted: 'cmd-orders' });
  });

  it('says when a send was a duplicate of an earlier messageId', async () => {
    await nimbus('topic', 'create', 'cmd-dup');
    const first = await nimbus('send', 'cmd-dup', 'pay', '--message-id', 'pay-1');
    expect(first.stdout).not.toContain('duplicate');
    const again = await nimbus('send', 'cmd-dup', 'pay', '--message-id', 'pay-1');
    expect(again.stdout).toContain('duplicate');
    expect(await json('send', 'cmd-dup', 'pay', '--message-id', 'pay-1')).toMatchObject({ duplicate: true });
  });

  it('receives with every field in --json, binary bodies as base64', async () => {
    await nimbus('topic', 'create', 'cmd-recv', '--queues', '1');
    await nimbus('group', 'create', 'cmd-recv-g', '--subscribe', 'cmd-recv');
    await server.broker.producer.send('cmd-recv', [{ body: new Uint8Array([0xff, 0x00, 0x80]) }]);
    await nimbus('send', 'cmd-recv', 'text body', '--tag', 't', '--key', 'k', '--property', 'region=eu');
    const received = (await json('receive', 'cmd-recv-g', '--max', '2', '--ack')) as { messages: unknown[] };
    expect(received.messages).toEqual([
      expect.objectContaining({ body: '/wCA', bodyEncoding: 'base64', acked: true, deliveryAttempt: 1 }),
      expect.objectContaining({
        body: 'text body',
        bodyEncoding: 'utf8',
        tag: 't',
        keys: ['k'],
        properties: { region: 'eu' },
        acked: true,
        bornTimestamp: expect.any(Number),
        storeTimestamp: expect.any(Number),
        invisibleUntil: expect.any(Number),
        receiptHandle: expect.any(String),
      }),
    ]);
  });

  it('keeps one broadcasting client per host across invocations unless --client-id says otherwise', async () => {
    await nimbus('topic', 'create', 'cmd-news', '--queues', '1');
    await nimbus('group', 'create', 'cmd-screens', '--subscribe', 'cmd-news', '--broadcasting');
    await nimbus('send', 'cmd-news', 'headline');
    const first = (await json('receive', 'cmd-screens', '--ack')) as { messages: unknown[] };
    expect(first.messages).toHaveLength(1);
    expect(((await json('receive', 'cmd-screens')) as { messages: unknown[] }).messages).toEqual([]);
    const other = (await json('receive', 'cmd-screens', '--client-id', 'wall-2')) as { messages: unknown[] };
    expect(other.messages).toHaveLength(1);
  });

  it('lists and redrives dead letters', async () => {
    await nimbus('topic', 'create', 'cmd-dlq', '--queues', '1');
    await nimbus('group', 'create', 'cmd-dlq-g', '--subscribe', 'cmd-dlq', '--max-attempts', '1');
    const sent = (await json('send', 'cmd-dlq', 'poison')) as { msgId: string };
    const [message] = await server.broker.consumer.receive('cmd-dlq-g', {});
    await server.broker.settlement.nack('cmd-dlq-g', [message!.receiptHandle]);
    const page = (await json('dlq', 'list', 'cmd-dlq-g')) as { deadLetters: { msgId: string }[] };
    expect(page.deadLetters.map((l) => l.msgId)).toEqual([sent.msgId]);
    expect((await nimbus('dlq', 'list', 'cmd-dlq-g')).stdout).toContain(sent.msgId);
    expect(await json('dlq', 'redrive', 'cmd-dlq-g', '--msg-id', sent.msgId)).toEqual({ redriven: 1, expired: 0 });
    expect(await json('dlq', 'list', 'cmd-dlq-g')).toEqual({ deadLetters: [] });
  });

  it('pages dead letters and redrives all of them, round after round', async () => {
    await nimbus('topic', 'create', 'cmd-dlq-many', '--queues', '1');
    await nimbus('group', 'create', 'cmd-dlq-many-g', '--subscribe', 'cmd-dlq-many', '--max-attempts', '1');
    await nimbus('send', 'cmd-dlq-many', 'poison', '--count', '1100');
    for (;;) {
      const messages = await server.broker.consumer.receive('cmd-dlq-many-g', { maxMessages: 32 });
      if (messages.length === 0) break;
      await server.broker.settlement.nack(
        'cmd-dlq-many-g',
        messages.map((m) => m.receiptHandle),
      );
    }
    const first = (await json('dlq', 'list', 'cmd-dlq-many-g', '--limit', '1000')) as {
      deadLetters: unknown[];
      nextToken?: string;
    };
    expect(first.deadLetters).toHaveLength(1000);
    const rest = (await json('dlq', 'list', 'cmd-dlq-many-g', '--after', first.nextToken!)) as {
      deadLetters: unknown[];
    };
    expect(rest.deadLetters).toHaveLength(100);
    expect(
      ((await json('dlq', 'list', 'cmd-dlq-many-g', '--all')) as { deadLetters: unknown[] }).deadLetters,
    ).toHaveLength(1100);
    expect(await json('dlq', 'redrive', 'cmd-dlq-many-g')).toEqual({ redriven: 1100, expired: 0 });
    expect(await json('dlq', 'list', 'cmd-dlq-many-g')).toEqual({ deadLetters: [] });
  });

  it('schedules delayed messages with --delay and --deliver-at, lists and cancels them', async () => {
    await json('topic', 'create', 'cmd-later', '--type', 'DELAY', '--queues', '1');
    const inTenMinutes = (await json('send', 'cmd-later', 'soon', '--delay', '10m')) as {
      msgId: string;
      deliverAt: number;
    };
    expect(inTenMinutes.deliverAt - Date.now()).toBeGreaterThan(9 * 60_000);
    const at = '2099-01-01T00:00:00.000Z';
    const inTwentyDays = new Date(Date.now() + 20 * 86_400_000).toISOString();
    const christmas = (await json('send', 'cmd-later', 'later', '--deliver-at', inTwentyDays)) as {
      msgId: string;
      deliverAt: number;
    };
    expect(christmas.deliverAt).toBe(Date.parse(inTwentyDays));
    const listed = (await json('scheduled', 'list', 'cmd-later')) as { scheduled: { msgId: string }[] };
    expect(listed.scheduled.map((entry) => entry.msgId)).toEqual([inTenMinutes.msgId, christmas.msgId]);
    const text = await nimbus('scheduled', 'list', 'cmd-later', '--limit', '1');
    expect(text.stdout).toContain(inTenMinutes.msgId);
    expect(text.stdout).toContain('more follow: --after');
    expect(await json('scheduled', 'cancel', 'cmd-later', christmas.msgId)).toEqual({
      topic: 'cmd-later',
      msgId: christmas.msgId,
      cancelled: true,
    });
    expect(((await json('scheduled', 'list', 'cmd-later')) as { scheduled: unknown[] }).scheduled).toHaveLength(1);
    expect((await nimbus('send', 'cmd-later', 'x', '--delay', 'tomorrow')).code).toBe(2);
    expect((await nimbus('send', 'cmd-later', 'x', '--deliver-at', 'someday')).code).toBe(2);
    expect((await nimbus('send', 'cmd-later', 'x', '--delay', '1s', '--deliver-at', at)).code).toBe(2);
    const tooFar = await nimbus('send', 'cmd-later', 'x', '--deliver-at', at);
    expect(tooFar.code).toBe(1);
    expect(tooFar.stderr).toContain('DELAY_TOO_LONG');
  });

  it("prints a command's help for --help and does nothing else", async () => {
    await nimbus('topic', 'create', 'cmd-help', '--queues', '1');
    const send = await nimbus('send', 'cmd-help', 'not sent', '--help');
    expect(send).toMatchObject({ code: 0, stderr: '' });
    expect(send.stdout).toContain('nimbus send <topic>');
    // `start --help` prints and returns: it would otherwise run a broker until interrupted.
    const start = await nimbus('start', '--port', '1', '--help');
    expect(start).toMatchObject({ code: 0, stderr: '' });
    expect(start.stdout).toContain('nimbus start');
    expect((await nimbus('dlq', '-h')).stdout).toContain('nimbus dlq redrive');
    // After `--` a "--help" is the message body, sent as given; the runs above sent nothing.
    const literal = await nimbus('send', 'cmd-help', '--endpoint', server.url, '--json', '--', '--help');
    expect(literal, literal.stderr).toMatchObject({ code: 0, stderr: '' });
    const [queue] = await server.broker.store.queueOffsets('cmd-help', 1);
    expect(queue?.nextOffset).toBe(1);
  });

  it('exits 1 on broker errors (as JSON on stderr with --json) and 2 on usage errors', async () => {
    const human = await nimbus('send', 'cmd-missing', 'x');
    expect(human).toMatchObject({ code: 1, stdout: '' });
    expect(human.stderr).toContain('TOPIC_NOT_FOUND');
    const scripted = await nimbus('send', 'cmd-missing', 'x', '--json');
    expect(scripted).toMatchObject({ code: 1, stdout: '' });
    expect(JSON.parse(scripted.stderr)).toEqual({
      error: { code: 'TOPIC_NOT_FOUND', message: expect.any(String), status: 404, requestId: expect.any(String) },
    });
    const usage = await nimbus('dlq', 'frob', '--json');
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stderr)).toMatchObject({ error: { code: 'USAGE' } });
    expect((await nimbus('dlq', 'frob')).stderr).toContain('unknown dlq action "frob"');
    for (const endpoint of ['not-a-url', 'ftp://broker.example']) {
      const wrong = await nimbus('topic', 'list', '--endpoint', endpoint);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain('--endpoint must be an http:// or https:// URL');
    }
  });
});
