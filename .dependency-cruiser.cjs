/**
 * Layer rules of DESIGN.md §2, enforced in `npm test`.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'The module graph stays acyclic.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'src/core imports nothing of ours but itself, and no I/O: no node builtins, no AWS SDK, no packages.',
      from: { path: '^src/core/' },
      to: { pathNot: '^src/core/' },
    },
    {
      name: 'adapters-stay-apart',
      severity: 'error',
      comment: 'An adapter imports core ports and its own client library, never another adapter.',
      from: { path: '^src/adapters/([^/]+)/' },
      to: { path: '^src/adapters/', pathNot: ['^src/adapters/$1/'] },
    },
    {
      name: 'adapters-only-core',
      severity: 'error',
      comment: 'Adapters know the core, not the API, the server, the SDK or the CLI.',
      from: { path: '^src/adapters/' },
      to: { path: '^src/(api|local|sdk|cli)/' },
    },
    {
      name: 'sdk-is-standalone',
      severity: 'error',
      comment: 'The SDK runs in browsers: no AWS SDK, no node builtins, nothing of ours but API types.',
      from: { path: '^src/sdk/' },
      to: {
        pathNot: ['^src/sdk/', '^src/api/types\\.ts$', '^src/core/(model|errors)\\.ts$'],
      },
    },
    {
      name: 'api-not-transport',
      severity: 'error',
      comment: 'The API layer is transport-neutral: no node:http, no adapters.',
      from: { path: '^src/api/' },
      to: { path: ['^src/adapters/', '^src/local/', '^src/cli/', '^(node:)?https?$'] },
    },
    {
      name: 'lib-references-functions-by-path',
      severity: 'error',
      comment:
        'CDK stacks reference handler files by path, never import them or broker code (bin/nimbus.js is the CLI launcher, not the CDK app).',
      from: { path: '^(lib|bin)/', pathNot: '^bin/nimbus\\.js$' },
      to: { path: '^(functions|src/(core|api|local|sdk|cli))/' },
    },
    {
      name: 'functions-carry-no-cdk-or-tests',
      severity: 'error',
      comment: 'Deployed code (functions/, src/) never imports the CDK, the stacks or test code.',
      from: { path: '^(functions|src)/' },
      to: { path: ['aws-cdk-lib', 'cdk-nag', '^constructs', '^(lib|bin|test)/'] },
    },
    {
      name: 'no-aws-sdk-in-core-api-sdk',
      severity: 'error',
      from: { path: '^src/(core|api|sdk)/' },
      to: { path: '@aws-sdk|aws-cdk-lib' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // TypeScript 7 has no compiler API, so swc parses the sources. dependency-cruiser still
    // prints "missing-tsc-transpiler" on every run; the rules above are enforced regardless
    // (a src/core file importing an adapter fails the check).
    parser: 'swc',
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
