import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../lib/function-bundling.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const outdir = mkdtempSync(path.join(tmpdir(), 'nimbus-cdk-'));

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('npx cdk synth', () => {
  it('synthesizes offline with no AWS credentials, bundling every function locally', () => {
    // No credentials, no profile, no region: what a CI runner without AWS access has.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_DEFAULT')),
    );
    const result = spawnSync('npx', ['cdk', 'synth', '--no-notices', '--quiet', '--output', outdir], {
      cwd: ROOT,
      env: {
        ...env,
        CDK_DISABLE_CLI_TELEMETRY: 'true',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      },
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    const template = JSON.parse(readFileSync(path.join(outdir, 'NimbusMq.template.json'), 'utf8'));
    expect(template.Outputs.ApiUrl.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/HttpApi/), 'ApiEndpoint'] });
    const bundles = readdirSync(outdir).filter((entry) => existsSync(path.join(outdir, entry, 'index.mjs')));
    // Every function but push-deliver and push-stream, which the stack adds with its first Lambda subscription.
    expect(bundles).toHaveLength(FUNCTION_NAMES.length - 2);
  }, 180_000);
});
