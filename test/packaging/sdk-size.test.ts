import { describe, expect, it } from 'vitest';
import { measureSdkSize } from '../../scripts/sdk-size.ts';

describe('SDK size', () => {
  it('imports no package at run time and stays small enough for a browser app', async () => {
    const size = await measureSdkSize();
    expect(size.imports).toEqual([]);
    // A budget, not a measurement: the bench reports the figure (12.7 KiB when this was written).
    expect(size.minifiedBytes).toBeLessThan(64 * 1024);
    expect(size.gzippedBytes).toBeLessThan(size.minifiedBytes);
  });
});
