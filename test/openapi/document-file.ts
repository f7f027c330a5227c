import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOpenApiDocument } from '../../src/api/openapi.ts';

/** A temporary directory holding `openapi.json`, the document GET /openapi.json serves. */
export function writeDocument(): { dir: string; file: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-openapi-'));
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(buildOpenApiDocument(), null, 2));
  return { dir, file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
