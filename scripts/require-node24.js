// Fails fast when npm scripts run on a Node other than the project's pinned Node 24.
// `npm ci --ignore-scripts` skips the pinned Node's install step and would leave the
// system Node first on PATH; node:sqlite and type stripping need Node 24.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  console.error(
    `Nimbus MQ needs Node 24 (found ${process.version}). Run \`npm ci\` (with install scripts) so the pinned node@24 is used.`,
  );
  process.exit(1);
}
