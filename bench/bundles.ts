import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { printTable } from './report.ts';

/**
 * Minified size of each Lambda function bundle (target under 1 MB, no CDK or test code
 * inside), and of the SDK package's entry as a browser app ships it.
 */
export async function bundleReport(): Promise<unknown> {
  if (!existsSync(join(import.meta.dirname, '..', 'functions'))) return undefined;
  const { measureBundleSizes } = await import('../scripts/bundle-sizes.ts');
  const report = await measureBundleSizes();
  printTable(
    `Lambda bundles (minified, target < ${Math.round(report.targetBytes / 1024)} KiB each)`,
    report.functions.map((f) => ({
      function: f.name,
      kib: Math.round(f.bytes / 102.4) / 10,
      underTarget: f.underTarget ? 'yes' : 'NO',
      forbidden: f.forbidden.join(', ') || 'none',
    })),
    ['function', 'kib', 'underTarget', 'forbidden'],
  );
  const { measureSdkSize } = await import('../scripts/sdk-size.ts');
  const sdk = await measureSdkSize();
  printTable(
    'SDK (@nimbus-mq/sdk main entry, bundled for a browser)',
    [
      {
        minifiedKiB: Math.round(sdk.minifiedBytes / 102.4) / 10,
        gzippedKiB: Math.round(sdk.gzippedBytes / 102.4) / 10,
        imports: sdk.imports.join(', ') || 'none',
      },
    ],
    ['minifiedKiB', 'gzippedKiB', 'imports'],
  );
  return { ...report, sdk };
}
