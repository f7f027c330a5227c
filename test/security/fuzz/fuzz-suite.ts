import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerStore } from '../../../src/core/ports/store.ts';
import { tokenSha256 } from '../../../src/local/access-policy.ts';
import { type EmbeddedServer, startEmbeddedServer } from '../../../src/local/embedded-server.ts';
import { Client, Producer, SimpleConsumer } from '../../../src/sdk/index.ts';
import { jsonHead, openSocket } from '../../local/raw-socket.ts';
import { type FuzzRequest, hostileRequests } from './hostile-requests.ts';
import { type FieldOverrides, HOSTILE_STRINGS, type JsonSchema, schemaArbitrary } from './schema-arbitrary.ts';

/** Runs per store; each is one request, so the run stays well under a minute. */
const RUNS = 1_000;
/** No request may take longer: the longest wait a fuzzed receive can ask for is 300 ms. */
const REQUEST_TIMEOUT_MS = 5_000;
const TOKENS = { admin: 'fuzz-admin', publisher: 'fuzz-publisher' };

interface Reply {
  status: number;
  body: string;
}

/** The fuzzed broker: seeded topics and groups, two principals, and a keep-alive connection to it. */
interface Target {
  /** Answers by status and error code, to show the run reached the broker and not only the guards. */
  tally: Map<string, number>;
  /** The state before the next request, while known: only a successful write changes it. */
  known: unknown;
  server: EmbeddedServer;
  store: BrokerStore;
  agent: Agent;
  handles: string[];
  document: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, JsonSchema> } };
}

interface Operation {
  parameters?: { name: string; in: 'path' | 'query'; schema: JsonSchema }[];
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
}

/**
 * The fuzz test: fast-check requests built from /openapi.json plus hand-written hostile
 * ones, against the embedded server (with authentication on) over `openStore`. Every
 * answer must come in time, be below 500 and carry the error body; a refused request
 * must leave topics, groups and stored messages unchanged.
 */
export function describeFuzz(name: string, openStore: () => Promise<BrokerStore>): void {
  describe(`fuzzing the HTTP API (${name})`, () => {
    let target: Target;
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'nimbus-fuzz-'));
      const authFile = join(dir, 'auth.json');
      await writeFile(
        authFile,
        JSON.stringify({
          principals: [
            {
              name: 'admin',
              tokenSha256: tokenSha256(TOKENS.admin),
              permissions: [{ resource: '*', actions: ['PUB', 'SUB', 'ADMIN'] }],
            },
            {
              name: 'publisher',
              tokenSha256: tokenSha256(TOKENS.publisher),
              permissions: [{ resource: 'topic:fz-orders', actions: ['PUB'] }],
            },
          ],
        }),
      );
      const store = await openStore();
      const server = await startEmbeddedServer({ store, authFile });
      const agent = new Agent({ keepAlive: true, maxSockets: 4 });
      const document = JSON.parse(
        (
          await send(server.url, agent, {
            method: 'GET',
            path: '/openapi.json',
            headers: { authorization: `Bearer ${TOKENS.admin}` },
          })
        ).body,
      );
      target = { tally: new Map(), known: undefined, server, store, agent, handles: [], document };
      target.handles = await seed(server.url);
    });

    afterAll(async () => {
      target?.agent.destroy();
      await target?.server.close();
      await target?.store.close();
      await rm(dir, { recursive: true, force: true });
    });

    it(`answers ${RUNS} generated requests without a 5xx, a hang, or a write by a refused request`, async () => {
      const requests = requestArbitrary(target.document, overridesFor(target.handles));
      await fc.assert(
        fc.asyncProperty(requests, async (fuzz) => {
          await checkRequest(target, fuzz);
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
      const answers = [...target.tally.keys()];
      console.info(`fuzz (${name}): ${JSON.stringify(Object.fromEntries([...target.tally].sort()))}`);
      // Not vacuous: requests got through to the broker, and were refused for many different reasons.
      expect(answers.filter((answer) => answer.startsWith('2')).length).toBeGreaterThanOrEqual(2);
      expect(answers.filter((answer) => answer.startsWith('4')).length).toBeGreaterThanOrEqual(10);
    }, 120_000);

    it('answers hand-written hostile requests the same way', async () => {
      for (const fuzz of hostileRequests(target.handles)) {
        await checkRequest(target, { ...fuzz, headers: { ...fuzz.headers, authorization: `Bearer ${TOKENS.admin}` } });
      }
    }, 60_000);

    it('forgets unfinished bodies: the connection goes, nothing is stored, the broker answers on', async () => {
      const before = await snapshot(target.store);
      for (const declared of [100, 1_000_000]) {
        const socket = await openSocket(target.server.url);
        socket.write(
          jsonHead('POST', '/v1/topics/fz-orders/messages', declared).replace(
            '\r\n\r\n',
            `\r\nauthorization: Bearer ${TOKENS.admin}\r\n\r\n`,
          ),
        );
        socket.write('{"body":"half');
        socket.destroy();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await snapshot(target.store)).toEqual(before);
      expect(
        (await send(target.server.url, target.agent, { method: 'GET', path: '/healthz', headers: {} })).status,
      ).toBe(200);
    });
  });
}

/** Creates what the requests aim at and takes real receipt handles to mutate. */
async function seed(url: string): Promise<string[]> {
  const client = new Client({ endpoint: url, token: TOKENS.admin });
  await client.createTopic('fz-orders', { queueCount: 2 });
  await client.createGroup('fz-billing', { subscriptions: [{ topic: 'fz-orders' }] });
  await client.createGroup('fz-other', { subscriptions: [{ topic: 'fz-orders' }] });
  await client.createTopic('payroll', { queueCount: 1 });
  for (const body of ['a', 'b', 'c', 'd']) await new Producer(client).send('fz-orders', body);
  const received = await new SimpleConsumer(client, { group: 'fz-billing' }).receive({ maxMessages: 4, waitMs: 1_000 });
  return received.map((message) => message.receiptHandle);
}

const NAMES = ['fz-orders', 'fz-billing', 'fz-other', 'fz-new', 'payroll'];

function overridesFor(handles: readonly string[]): FieldOverrides {
  const handle = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...handles) },
    { weight: 2, arbitrary: fc.constantFrom(...handles).map((h) => `${h.slice(0, -3)}abc`) },
    { weight: 1, arbitrary: fc.base64String({ maxLength: 80 }) },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  );
  return {
    receiptHandle: handle,
    receiptHandles: fc.array(handle, { minLength: 0, maxLength: 101 }),
    // Short waits keep the run fast; the range checks get out-of-range values all the same.
    waitMs: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(-1, 20_001, 1e308, 0.5, '10', null)),
    topic: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: fc.string() }),
  };
}

/** Percent-encodes every byte but unreserved ones; lone surrogates go as U+FFFD (encodeURIComponent throws on them). */
function encodeSegment(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A path parameter: mostly names that exist, sometimes hostile ones (encoded or deliberately malformed). */
const pathParameter = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_STRINGS.filter((s) => s !== '')).map(encodeSegment) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 70 }).map(encodeSegment) },
  { weight: 1, arbitrary: fc.constantFrom('%ZZ', '%E0%A4%A', '%00', '..', '%2F', 'a%20b') },
);

const authorization = fc.oneof(
  { weight: 8, arbitrary: fc.constant(`Bearer ${TOKENS.admin}`) },
  { weight: 2, arbitrary: fc.constant(`Bearer ${TOKENS.publisher}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(undefined, 'Bearer', 'Bearer wrong', 'Basic YTpi', `bearer  ${TOKENS.admin}`),
  },
);

const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(undefined, 'text/plain', 'application/problem+json', 'application/json; charset=x'),
  },
);

/** One request for any operation of the document, with a body shaped by its schema (or not). */
function requestArbitrary(document: Target['document'], overrides: FieldOverrides): fc.Arbitrary<FuzzRequest> {
  const resolve = (ref: string) => document.components.schemas[ref.split('/').at(-1) ?? ''] ?? {};
  const operations: fc.Arbitrary<FuzzRequest>[] = [];
  for (const [template, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const params = operation.parameters ?? [];
      const pathNames = params.filter((p) => p.in === 'path').map((p) => p.name);
      const queryNames = params.filter((p) => p.in === 'query').map((p) => p.name);
      const schema = operation.requestBody?.content['application/json'].schema;
      const body = schema
        ? fc.oneof(
            { weight: 10, arbitrary: schemaArbitrary(schema, resolve, overrides).map((v) => JSON.stringify(v)) },
            { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
            { weight: 1, arbitrary: fc.constantFrom(undefined, '', '{', '{"a":1,}', '\u0000') },
          )
        : fc.option(
            fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
            { freq: 6 },
          );
      operations.push(
        fc
          .record({
            path: fc.tuple(...pathNames.map(() => pathParameter)),
            query: fc.dictionary(fc.constantFrom(...queryNames, 'x'), fc.string({ maxLength: 12 }), { maxKeys: 2 }),
            body,
            authorization,
            contentType,
          })
          .map(({ path, query, body: text, authorization: auth, contentType: type }) => {
            let filled = template;
            for (const [i, name] of pathNames.entries()) filled = filled.replace(`{${name}}`, path[i] as string);
            const search = new URLSearchParams(query).toString();
            const headers: Record<string, string> = {};
            if (auth !== undefined) headers['authorization'] = auth;
            if (type !== undefined && text !== undefined) headers['content-type'] = type;
            return {
              method: method.toUpperCase(),
              path: search === '' ? filled : `${filled}?${search}`,
              headers,
              body: text ?? undefined,
            };
          }),
      );
    }
  }
  return fc.oneof(...operations);
}

/** Topics, groups and every queue's next offset: what a refused request must not change. */
async function snapshot(store: BrokerStore): Promise<unknown> {
  const [listed, groupList] = await Promise.all([store.listTopics(), store.listGroups()]);
  const topics = listed.sort((a, b) => a.name.localeCompare(b.name));
  const groups = groupList.map((group) => JSON.stringify(group)).sort();
  const offsets = await Promise.all(topics.map((topic) => store.queueOffsets(topic.name, topic.queueCount)));
  return { topics: topics.map((topic) => topic.name), groups, offsets };
}

const MUTATING = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

async function checkRequest(target: Target, fuzz: FuzzRequest): Promise<void> {
  const answer = await checkedAnswer(target, fuzz);
  target.tally.set(answer, (target.tally.get(answer) ?? 0) + 1);
}

/** Sends one request and checks it; returns its status and error code. */
async function checkedAnswer(target: Target, fuzz: FuzzRequest): Promise<string> {
  const mutating = MUTATING.has(fuzz.method);
  if (mutating) target.known ??= await snapshot(target.store);
  const before = target.known;
  const reply = await send(target.server.url, target.agent, fuzz);
  const context = `${fuzz.method} ${fuzz.path.slice(0, 200)} ${String(fuzz.body).slice(0, 200)} -> ${reply.status} ${reply.body.slice(0, 300)}`;
  expect(reply.status, context).toBeLessThan(500);
  let answer = String(reply.status);
  if (reply.status >= 400) {
    const error = JSON.parse(reply.body);
    expect(error, context).toMatchObject({ code: expect.any(String), requestId: expect.any(String) });
    answer += ` ${error.code}`;
    if (mutating) expect(await snapshot(target.store), context).toEqual(before);
  } else if (mutating) {
    target.known = undefined;
    // A fuzzed DELETE removed what the next requests aim at: put it back.
    if (!(await hasSeed(target.store))) await reseed(target.server.url);
  }
  return answer;
}

async function hasSeed(store: BrokerStore): Promise<boolean> {
  return (await store.getTopic('fz-orders')) !== undefined && (await store.getGroup('fz-billing')) !== undefined;
}

async function reseed(url: string): Promise<void> {
  const client = new Client({ endpoint: url, token: TOKENS.admin });
  await client.createTopic('fz-orders', { queueCount: 2 }).catch(() => undefined);
  await client.createGroup('fz-billing', { subscriptions: [{ topic: 'fz-orders' }] }).catch(() => undefined);
}

/** One request over node:http (any method, header or byte), failing after REQUEST_TIMEOUT_MS. */
function send(url: string, agent: Agent, fuzz: FuzzRequest): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // A declared length: node:http would send a GET's body without one, which is no longer HTTP.
    const length = fuzz.body === undefined ? undefined : Buffer.byteLength(fuzz.body);
    const headers = length === undefined ? fuzz.headers : { ...fuzz.headers, 'content-length': String(length) };
    const req = request(
      `${url}${fuzz.path}`,
      { method: fuzz.method, headers, agent, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (error) => reject(new Error(`${fuzz.method} ${fuzz.path.slice(0, 200)}: ${error.message}`)));
    req.end(fuzz.body);
  });
}
