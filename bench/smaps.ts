import { readFile } from 'node:fs/promises';

/** Where a process's resident memory lives, from /proc/<pid>/smaps (Linux), in MiB. */
export interface ResidentBreakdown {
  /** Anonymous mappings: the V8 heap, glibc's thread arenas and large malloc blocks. */
  anonymousMiB: number;
  /** The brk heap: glibc's main malloc arena. */
  brkHeapMiB: number;
  /** File-backed mappings: the node binary, shared libraries, SQLite's -shm index. */
  filesMiB: number;
  /** Stacks and kernel-provided pages. */
  otherMiB: number;
}

/** Sums the Rss of each mapping of `pid` by kind. */
export async function residentBreakdown(pid: number): Promise<ResidentBreakdown> {
  const text = await readFile(`/proc/${pid}/smaps`, 'utf8');
  const kb = { anonymous: 0, brk: 0, files: 0, other: 0 };
  let kind: keyof typeof kb = 'other';
  for (const line of text.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const path = header[1] ?? '';
      kind = path === '' ? 'anonymous' : path === '[heap]' ? 'brk' : path.startsWith('/') ? 'files' : 'other';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kb[kind] += Number(rss[1]);
  }
  const mib = (value: number) => Math.round(value / 102.4) / 10;
  return {
    anonymousMiB: mib(kb.anonymous),
    brkHeapMiB: mib(kb.brk),
    filesMiB: mib(kb.files),
    otherMiB: mib(kb.other),
  };
}
