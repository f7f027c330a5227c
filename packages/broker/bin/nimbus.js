#!/usr/bin/env node
// The installed `nimbus` command. The version check runs before the CLI is imported, so an
// older Node gets this sentence instead of an import error about node:sqlite.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `nimbus needs Node 24 or later (found ${process.version}): the broker stores messages with node:sqlite.`,
  );
  process.exit(1);
}
const { main } = await import('../dist/cli.js');
const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
