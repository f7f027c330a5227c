/**
 * Writes the web console's static files (index.html, app.js, app.css) into a folder. The
 * package build and the CDK bundling of the console function call it too, so the
 * installed broker and the deployed stack serve files built ahead of time; run from the
 * repository, the embedded broker bundles the console itself on the first request.
 *
 *   node scripts/build-console.ts [OUT_DIR]     (default dist/console)
 */
import { resolve } from 'node:path';
import { bundleConsole } from '../src/console/server/bundle-console.ts';
import { writeConsoleFiles } from '../src/console/server/console-files.ts';

const outDir = resolve(process.argv[2] ?? 'dist/console');
const assets = await bundleConsole();
for (const file of await writeConsoleFiles(outDir, assets)) console.log(file);
