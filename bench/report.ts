import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ScenarioResult } from './scenarios.ts';

export function printTable(title: string, rows: Record<string, unknown>[], columns: string[]): void {
  const cells = rows.map((row) => columns.map((column) => (row[column] === undefined ? '' : String(row[column]))));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => (line[i] ?? '').length)));
  const line = (values: string[]) => `| ${values.map((value, i) => value.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(`\n${title}`);
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of cells) console.log(line(row));
}

export function printScenarios(title: string, results: ScenarioResult[]): void {
  printTable(title, results.map((r) => ({ ...r, met: r.met ? 'yes' : 'NO' })) as unknown as Record<string, unknown>[], [
    'name',
    'messages',
    'msgsPerSec',
    'p50Ms',
    'p99Ms',
    'target',
    'met',
  ]);
}

export async function writeJson(path: string, data: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(data, null, 2)}\n`);
}
