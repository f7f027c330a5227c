import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type { NimbusFunctionProps } from './nimbus-function.ts';

const BUILD_CONSOLE = path.resolve(import.meta.dirname, '..', 'scripts', 'build-console.ts');

/**
 * The console function (functions/console.ts): it serves the web console's files from
 * `console/` beside its bundle, so synthesis builds the console into the function's asset
 * after esbuild bundled the handler. The Node running the synthesis runs the build script
 * (it strips types, or it could not have loaded this file).
 */
export const CONSOLE_FUNCTION = {
  description: 'Nimbus MQ: the web console (static files; the page signs its API calls with IAM)',
  timeout: Duration.seconds(5),
  afterBundling: (outputDir: string) => [
    [process.execPath, BUILD_CONSOLE, path.join(outputDir, 'console')].map((part) => JSON.stringify(part)).join(' '),
  ],
} satisfies Omit<NimbusFunctionProps, 'name' | 'environment' | 'metricsNamespace'>;
