/**
 * Preloaded into the broker process by the memory bench (`node --import ./bench/memory-probe.ts`):
 * answers `{ type: 'memory', gc }` on the IPC channel with the process's own view of its
 * memory (V8 heap, external buffers), after a full garbage collection when asked and allowed
 * (`--expose-gc`). The broker itself is unchanged; the channel never keeps it alive.
 */
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

export interface ProbeReading {
  rssMiB: number;
  /** Heap V8 has committed (its pages, used or not). */
  heapTotalMiB: number;
  /** Live objects and garbage not collected yet (just live ones after a gc). */
  heapUsedMiB: number;
  /** Memory outside the V8 heap that JavaScript objects hold (Buffers, ArrayBuffers). */
  externalMiB: number;
  arrayBuffersMiB: number;
  /** V8's own malloc'ed memory (compiler zones, tables), outside its heap. */
  v8MallocedMiB: number;
  /** Committed size of each V8 heap space (new, old, code, large objects, ...). */
  spacesMiB: Record<string, number>;
  collected: boolean;
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

if (process.send) {
  process.channel?.unref();
  process.on('message', (request: { type?: string; gc?: boolean }) => {
    if (request?.type !== 'memory') return;
    const collect = request.gc === true && typeof globalThis.gc === 'function';
    if (collect) globalThis.gc?.();
    const usage = process.memoryUsage();
    const reading: ProbeReading = {
      rssMiB: mib(usage.rss),
      heapTotalMiB: mib(usage.heapTotal),
      heapUsedMiB: mib(usage.heapUsed),
      externalMiB: mib(usage.external),
      arrayBuffersMiB: mib(usage.arrayBuffers),
      v8MallocedMiB: mib(getHeapStatistics().malloced_memory),
      spacesMiB: Object.fromEntries(
        getHeapSpaceStatistics().map((space) => [space.space_name, mib(space.physical_space_size)]),
      ),
      collected: collect,
    };
    process.send?.({ type: 'memory', reading });
  });
}
