import { printTable } from './report.ts';

/** One round of work in the broker process and its memory afterwards, in MiB. */
export interface MemoryRound {
  round: number;
  peakUnderBenchMiB: number;
  afterBenchMiB: number;
  withIdleLongPollsMiB: number;
  afterPollsClosedMiB: number;
  /** V8 heap committed after the round. */
  heapTotalMiB: number;
  /** Live V8 heap after a full collection. */
  heapLiveMiB: number;
  /** Buffers and ArrayBuffers held from JavaScript. */
  externalMiB: number;
  /** Resident anonymous mappings (V8 heap, malloc arenas), the brk heap and file mappings. */
  anonymousMiB: number;
  brkHeapMiB: number;
  filesMiB: number;
}

/** How the claim "RSS does not grow across repeated runs" is judged. */
export interface PlateauBound {
  /** The last rounds compared (their first with their last). */
  window: number;
  /** Growth allowed over the window, in MiB and as a share of the window's first figure; the larger wins. */
  maxGrowthMiB: number;
  maxGrowthPct: number;
}

export const DEFAULT_PLATEAU: PlateauBound = { window: 3, maxGrowthMiB: 8, maxGrowthPct: 3 };

export interface MemoryVerdict {
  plateau: boolean;
  bound: string;
  peakGrowthMiB: number;
  peakGrowthPct: number;
  afterGrowthMiB: number;
  afterGrowthPct: number;
  heapLiveGrowthMiB: number;
  /** RSS added by the idle long-polls, the most over all rounds. */
  idleLongPollsAddMiB: number;
  summary: string;
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/**
 * Whether peak and after-round RSS stopped growing: over the last `window` rounds each grew
 * by at most the bound. Needs at least `window` rounds; fewer prove nothing (plateau false).
 * @example
 * memoryVerdict(rounds).plateau; // true when the last 3 rounds grew by <= max(8 MiB, 3%)
 */
export function memoryVerdict(rounds: readonly MemoryRound[], bound: PlateauBound = DEFAULT_PLATEAU): MemoryVerdict {
  const window = rounds.slice(-bound.window);
  const first = window[0];
  const last = window[window.length - 1];
  const boundText = `last ${bound.window} rounds grow <= max(${bound.maxGrowthMiB} MiB, ${bound.maxGrowthPct}%)`;
  const idleLongPollsAddMiB = Math.max(0, ...rounds.map((row) => row.withIdleLongPollsMiB - row.afterBenchMiB));
  if (!first || !last || rounds.length < bound.window) {
    return {
      plateau: false,
      bound: boundText,
      peakGrowthMiB: Number.NaN,
      peakGrowthPct: Number.NaN,
      afterGrowthMiB: Number.NaN,
      afterGrowthPct: Number.NaN,
      heapLiveGrowthMiB: Number.NaN,
      idleLongPollsAddMiB,
      summary: `not judged: ${rounds.length} rounds, ${bound.window} needed`,
    };
  }
  const growth = (from: number, to: number) => ({ mib: round1(to - from), pct: round1(((to - from) / from) * 100) });
  const allowed = (from: number) => Math.max(bound.maxGrowthMiB, (from * bound.maxGrowthPct) / 100);
  const peak = growth(first.peakUnderBenchMiB, last.peakUnderBenchMiB);
  const after = growth(first.afterBenchMiB, last.afterBenchMiB);
  const plateau = peak.mib <= allowed(first.peakUnderBenchMiB) && after.mib <= allowed(first.afterBenchMiB);
  const from = `rounds ${first.round}-${last.round}`;
  return {
    plateau,
    bound: boundText,
    peakGrowthMiB: peak.mib,
    peakGrowthPct: peak.pct,
    afterGrowthMiB: after.mib,
    afterGrowthPct: after.pct,
    heapLiveGrowthMiB: round1(last.heapLiveMiB - first.heapLiveMiB),
    idleLongPollsAddMiB,
    summary:
      `${plateau ? 'plateau' : 'still growing'}: over ${from} peak RSS ${signed(peak.mib)} MiB (${signed(peak.pct)}%), ` +
      `after-round RSS ${signed(after.mib)} MiB (${signed(after.pct)}%); bound: ${boundText}`,
  };
}

function signed(value: number): string {
  return value >= 0 ? `+${value}` : String(value);
}

export function printMemoryRounds(title: string, rounds: readonly MemoryRound[], idlePolls: number): void {
  printTable(title, rounds.map((row) => ({ ...row, [`with ${idlePolls} polls`]: row.withIdleLongPollsMiB })) as never, [
    'round',
    'peakUnderBenchMiB',
    'afterBenchMiB',
    `with ${idlePolls} polls`,
    'afterPollsClosedMiB',
    'heapTotalMiB',
    'heapLiveMiB',
    'externalMiB',
    'anonymousMiB',
    'brkHeapMiB',
    'filesMiB',
  ]);
}
