// The targets of `linux`, judged on made-up figures: medians of WebAIO in its default mode
// against the in-memory disk, met or not, and not measured when the scenario did not run.

import { describe, expect, it } from 'vitest';
import { linuxTargets } from './targets.ts';
import {
  checkLinuxBenchParams,
  summarizeLinux,
  type LinuxBenchResult,
  type LinuxRun,
  type LinuxVariant,
} from './linux-bench-params.ts';

describe('targets', () => {
  it('bench/targets-linux: medians of WebAIO in its default mode against the in-memory disk', () => {
    const run = (variant: LinuxVariant, bootMs: number, w: number, r: number): LinuxRun => ({
      variant,
      trial: 1,
      firstBootMs: bootMs,
      bootMs,
      writeMbPerS: w,
      readMbPerS: r,
      mainThread: {
        longTaskSupported: true,
        longTasks: 0,
        longestTaskMs: 0,
        heartbeatMaxGapMs: 20,
        heartbeats: 1000,
        windowMs: 1500,
      },
      flushes: 0,
    });
    const runs = [
      run('memory', 20_000, 6, 50),
      run('memory', 22_000, 5, 48),
      run('memory', 30_000, 4, 40),
      run('writeback', 23_000, 2, 45),
      run('writeback', 21_000, 3, 30),
      run('writeback', 25_000, 4, 39),
    ];
    const result: LinuxBenchResult = {
      scenario: 'linux',
      params: checkLinuxBenchParams({}),
      startedAt: '',
      elapsedMs: 0,
      kernelRelease: '6.1.0-57-686',
      defaultMode: 'writeback',
      runs,
      mainThreadRuns: [],
      summaries: summarizeLinux(runs),
    };
    const [boot, write, read] = linuxTargets(result);
    // 23 s against 22 s: x1.05, within x1.1.
    expect(boot.met).toBe(true);
    expect(boot.measured).toContain('writeback 23.00 s (21.00–25.00, 3 boots), memory 22.00 s');
    // 3 MB/s against 5: x0.60, at least x0.5.
    expect(write.met).toBe(true);
    // 39 MB/s against 48: x0.81.
    expect(read.met).toBe(true);
    expect(read.measured).toContain('x0.81 (limit x0.8)');
    expect(linuxTargets(undefined).map((t) => t.met)).toEqual([null, null, null]);
  });
});
