/** Prints either JSON (for scripts, `--json`) or a readable table/line for people. */
export function printResult(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(`${json ? JSON.stringify(value, null, 2) : human()}\n`);
}

export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((column) => format(row[column])));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => (line[i] ?? '').length)));
  const line = (values: string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

function format(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A one-line progress indicator on stderr for long operations (only on a terminal). */
export function progress(label: string, total: number): { tick(n?: number): void; done(): void } {
  let count = 0;
  let last = 0;
  const tty = process.stderr.isTTY;
  return {
    tick(n = 1) {
      count += n;
      const now = Date.now();
      if (tty && (now - last > 100 || count === total)) {
        last = now;
        process.stderr.write(`\r${label} ${count}/${total} (${Math.floor((count * 100) / total)}%)`);
      }
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}
