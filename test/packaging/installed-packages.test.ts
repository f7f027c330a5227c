import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnUntilReady } from '../support/processes.ts';
import { installIntoScratchApp, olderSystemNode, run, type ScratchApp } from './scratch-install.ts';

const older = await olderSystemNode();
/** tsc and a CDK synthesis take 20 s alone, and the suite runs many files at once. */
const SLOW = 180_000;

/**
 * The packages as a user gets them: built, packed with `npm pack`, installed from the
 * tarballs into an app outside the repository, and used there with plain Node (no type
 * stripping inside node_modules, no path into this repository).
 */
describe('installed packages', () => {
  let scratch: ScratchApp;
  let broker: ChildProcess | undefined;
  let endpoint: string;
  const installed = (...parts: string[]) => path.join(scratch.dir, 'node_modules', ...parts);

  beforeAll(async () => {
    scratch = await installIntoScratchApp();
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    broker = await spawnUntilReady(
      process.execPath,
      [installed('.bin', 'nimbus'), 'start', '--port', String(port), '--data-dir', path.join(scratch.dir, 'data')],
      'listening on',
      { cwd: scratch.dir },
    );
  }, 300_000);

  afterAll(async () => {
    broker?.kill('SIGTERM');
    if (scratch) await rm(path.dirname(scratch.dir), { recursive: true, force: true });
  });

  it('ships built JavaScript and declarations only, no TypeScript sources', async () => {
    const listings = await Promise.all(
      scratch.tarballs.map(async ({ file }) => (await run('tar', ['-tzf', file])).stdout.split('\n').filter(Boolean)),
    );
    for (const listing of listings) {
      expect(listing.filter((entry) => entry.endsWith('.ts') && !entry.endsWith('.d.ts'))).toEqual([]);
    }
    expect(listings.flat()).toEqual(
      expect.arrayContaining(['package/dist/index.js', 'package/dist/cli.js', 'package/dist/handlers/send/index.mjs']),
    );
    // The console is built ahead of time: beside the broker's CLI, and beside the console function's bundle.
    const built = ['index.html', 'app.js', 'app.css'];
    expect(listings.flat()).toEqual(
      expect.arrayContaining([
        ...built.map((name) => `package/dist/console/${name}`),
        ...built.map((name) => `package/dist/handlers/console/console/${name}`),
      ]),
    );
  });

  it('serves the web console from the installed broker, which has no bundler and no console sources', async () => {
    expect(existsSync(installed('esbuild'))).toBe(false);
    const page = await fetch(`${endpoint}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="app.js">');
    const script = await fetch(`${endpoint}/console/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain('/v1/topics');
    const style = await fetch(`${endpoint}/console/app.css`);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await fetch(`${endpoint}/console/main.ts`)).status).toBe(404);
  });

  it('runs every CLI command from the installed broker package', async () => {
    const nimbus = (...args: string[]) =>
      run(process.execPath, [installed('.bin', 'nimbus'), ...args, '--endpoint', endpoint], { cwd: scratch.dir });
    await nimbus('topic', 'create', 'cli-topic');
    await nimbus('group', 'create', 'cli-group', '--subscribe', 'cli-topic');
    await nimbus('send', 'cli-topic', 'from the installed cli');
    const { stdout } = await nimbus('receive', 'cli-group', '--wait-ms', '2000', '--ack', '--json');
    expect(stdout).toContain('from the installed cli');
    // As a user types it: npx finds the installed bin; the Node 24 running this test is first on PATH.
    const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env['PATH']}` };
    const help = await run('npx', ['--no-install', 'nimbus', '--help'], { cwd: scratch.dir, env });
    expect(help.stdout).toContain('nimbus start');
  });

  it('sends and receives with the installed SDK, and signs with its SigV4 entry', async () => {
    const { stdout } = await run(process.execPath, ['sdk-roundtrip.mjs', endpoint], { cwd: scratch.dir });
    const result = JSON.parse(stdout);
    expect(result.received).toEqual([1, 2, 3]);
    expect(result.missingTopic).toBe('TOPIC_NOT_FOUND');
    expect(result.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\//);
  });

  // Needs a Node older than 24 on the machine (the system Node that runs npm here is 20).
  it.skipIf(!older)(
    'runs the SDK on the older system Node, where the broker refuses with a clear sentence',
    async () => {
      if (!older) return;
      const { stdout } = await run(older, ['sdk-roundtrip.mjs', endpoint], { cwd: scratch.dir });
      expect(JSON.parse(stdout)).toMatchObject({ node: expect.stringMatching(/^v2[0-3]\./), received: [1, 2, 3] });
      const refused = await run(older, [installed('.bin', 'nimbus'), 'start']).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/needs Node 24 or later/) });
    },
  );

  it(
    'type-checks an app that imports the installed SDK and construct library',
    async () => {
      await writeFile(
        path.join(scratch.dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            target: 'es2022',
            lib: ['es2024', 'esnext.disposable', 'dom'],
            strict: true,
            noEmit: true,
            types: [],
          },
          files: ['consumer.ts'],
        }),
      );
      await writeFile(
        path.join(scratch.dir, 'consumer.ts'),
        [
          "import { App, Stack } from 'aws-cdk-lib';",
          "import { NimbusMq, type NimbusMqProps } from '@nimbus-mq/cdk';",
          "import { Client, Producer, type NimbusPushEvent, type NimbusPushResponse } from '@nimbus-mq/sdk';",
          'const props: NimbusMqProps = { backlogAlarmThreshold: 5 };',
          "new NimbusMq(new Stack(new App(), 'S'), 'Q', props);",
          "export const send = (endpoint: string): Promise<{ msgId: string }> => new Producer(new Client({ endpoint })).send('t', 'x');",
          'export const handler = async (event: NimbusPushEvent): Promise<NimbusPushResponse> =>',
          '  ({ batchItemFailures: event.messages.map((m) => ({ itemIdentifier: m.msgId })) });',
          '',
        ].join('\n'),
      );
      const tsc = path.resolve(import.meta.dirname, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
      const result = await run(process.execPath, [tsc, '-p', scratch.dir]).catch((error: { stdout: string }) => error);
      expect('stdout' in result ? result.stdout : '').toBe('');
    },
    SLOW,
  );

  it(
    'synthesizes a CDK app with the installed construct, cdk-nag clean, bundling nothing',
    async () => {
      const outdir = path.join(scratch.dir, 'cdk.out');
      await run(process.execPath, ['cdk-app.mjs', outdir], { cwd: scratch.dir });
      const template = JSON.parse(readFileSync(path.join(outdir, 'ShopStack.template.json'), 'utf8'));
      const functions = Object.values(template.Resources as Record<string, { Type: string; Properties: never }>).filter(
        (resource) => resource.Type === 'AWS::Lambda::Function',
      );
      expect(functions.length).toBeGreaterThan(5);
      // Each Nimbus function's code is the handler the package ships, staged as an asset.
      const assets = JSON.parse(readFileSync(path.join(outdir, 'ShopStack.assets.json'), 'utf8'));
      const staged = Object.values(assets.files as Record<string, { source: { path: string } }>)
        .map((file) => path.join(outdir, file.source.path, 'index.mjs'))
        .filter(existsSync);
      expect(staged.length).toBe(functions.length - 1); // all but the app's inline function
      for (const file of staged) expect(readFileSync(file, 'utf8')).toMatch(/export\s*\{[^}]*\bhandler\s*\}/);
      // The console function's asset carries the built console it serves.
      const consoleFiles = staged.map((file) => path.join(path.dirname(file), 'console', 'app.js')).filter(existsSync);
      expect(consoleFiles).toHaveLength(1);
      // Its open routes are the only ones without IAM besides the health check.
      const routes = Object.values(template.Resources as Record<string, { Type: string; Properties: never }>)
        .filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route')
        .map((resource) => resource.Properties as { RouteKey: string; AuthorizationType: string });
      expect(
        routes
          .filter((route) => route.AuthorizationType === 'NONE')
          .map((route) => route.RouteKey)
          .sort(),
      ).toEqual(['GET /console', 'GET /console/{proxy+}', 'GET /healthz']);
    },
    SLOW,
  );
});
