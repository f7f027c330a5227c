/**
 * Writes the web console's static files (index.html, app.js, app.css) for hosting apart
 * from the embedded broker, e.g. in an S3 bucket behind CloudFront in front of an AWS
 * deployment. The embedded broker does not need it: it bundles the console itself on the
 * first request for /console.
 *
 *   node scripts/build-console.ts [OUT_DIR]     (default dist/console)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { bundleConsole } from '../src/console/server/bundle-console.ts';

const outDir = resolve(process.argv[2] ?? 'dist/console');
await mkdir(outDir, { recursive: true });
for (const [name, asset] of await bundleConsole()) {
  await writeFile(join(outDir, name), asset.body);
  console.log(`${join(outDir, name)}  ${(asset.body.byteLength / 1024).toFixed(1)} KiB`);
}
