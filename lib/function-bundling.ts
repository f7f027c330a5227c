/**
 * How every function in `functions/` is bundled, as plain data: the CDK stack and the
 * bundle-size benchmark (scripts/bundle-sizes.ts) both read it, so what is measured is
 * what is deployed.
 */
export const FUNCTION_BUNDLING = {
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  mainFields: ['module', 'main'],
  /**
   * Node 24 on Lambda ships the AWS SDK for JavaScript v3: functions use it instead of
   * carrying their own copy (about 700 KB minified for the DynamoDB and S3 clients).
   */
  external: ['@aws-sdk/*'],
  /** Some bundled CommonJS dependencies call `require` for Node built-ins; ESM has none. */
  banner:
    "import { createRequire as __nimbusRequire } from 'node:module'; const require = __nimbusRequire(import.meta.url);",
} as const;

/** The Lambda functions, by the file name in `functions/` (without `.ts`). */
export const FUNCTION_NAMES = [
  'send',
  'consume-pull',
  'admin',
  'retention-sweep',
  'backlog-metrics',
  'push-deliver',
  'push-stream',
  'lease-expiry',
  'timer-release',
  'transaction-commit',
  'transaction-check-back',
  'console',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * Where the installable CDK package (packages/cdk) ships every handler pre-bundled, as
 * `<dir>/<name>/index.mjs` relative to the package root. Inside node_modules Node does not
 * strip types and the user's app may have no esbuild, so there the stack deploys these.
 */
export const PREBUNDLED_HANDLERS_DIR = 'dist/handlers';
