// The `linux` scenario's parameters, results and summary: Linux in v86 on a WebAIO disk against
// the same boot on an in-memory buffer (v86's own way of keeping a disk), boots interleaved, each
// on a fresh blank disk: the first boot (which formats), guest dd of ddMiB written with
// conv=fsync and read back after dropping the guest's caches, a second boot on the formatted
// disk, and the main thread's longest task while the guest boots. No DOM here.

import type { MainThreadReport } from './cold-burst-params.ts';
import { spreadOf, type Spread } from '../../app/shared/stats/spread.ts';
import { ParamChecker } from './check.ts';

/** memory: the baseline, an ArrayBuffer in v86's worker; the others: WebAIO disk modes. */
export const LINUX_VARIANTS = ['memory', 'writeback', 'writethrough'] as const;
export type LinuxVariant = (typeof LINUX_VARIANTS)[number];

export interface LinuxBenchParams {
  variants: LinuxVariant[];
  /** Trials: each variant boots this many fresh disks (medians want 3 or more). */
  boots: number;
  imageBytes: number;
  /** MiB that dd writes (conv=fsync) and reads back. */
  ddMiB: number;
  /** Also boot once through the page's Linux view (its terminal and figures live) and once
   *  with v86 on the main thread (in-memory disk), for the main thread's longest task. */
  panels: boolean;
  mainThreadProbe: boolean;
  /** The longest any one step (a boot, a dd) may take. */
  timeoutMs: number;
}

export const LINUX_BENCH_DEFAULTS: Readonly<LinuxBenchParams> = {
  variants: [...LINUX_VARIANTS],
  boots: 3,
  imageBytes: 256 << 20,
  ddMiB: 64,
  panels: true,
  mainThreadProbe: true,
  timeoutMs: 300_000,
};

export function checkLinuxBenchParams(input: unknown = {}): LinuxBenchParams {
  const c = new ParamChecker('linux');
  const p = c.merge(LINUX_BENCH_DEFAULTS, input);
  const variants = c.list('variants', p.variants, (v) => c.oneOf('variant', v, LINUX_VARIANTS));
  const imageBytes = c.int('imageBytes', p.imageBytes, 64 << 20, 1 << 30);
  if (imageBytes % (1 << 20) !== 0) c.fail(`imageBytes ${imageBytes} is not whole MiB`);
  const ddMiB = c.int('ddMiB', p.ddMiB, 1, 512);
  if (ddMiB << 20 > imageBytes / 2) {
    c.fail(`ddMiB ${ddMiB} does not fit twice in a disk of ${imageBytes >> 20} MiB`);
  }
  return {
    variants,
    boots: c.int('boots', p.boots, 1, 20),
    imageBytes,
    ddMiB,
    panels: c.bool('panels', p.panels),
    mainThreadProbe: c.bool('mainThreadProbe', p.mainThreadProbe),
    timeoutMs: c.timeoutMs(p.timeoutMs, 10_000, 3_600_000),
  };
}

/** One trial of one variant. Times are the host's (ms), MB/s are 10^6 bytes a second. */
export interface LinuxRun {
  variant: LinuxVariant;
  trial: number;
  /** Power on to the guest's disk mounted: on the blank disk (mke2fs included), then again
   *  on the formatted one. */
  firstBootMs: number;
  bootMs: number;
  /** Guest `dd if=/dev/zero of=/mnt/dd bs=1M count=ddMiB conv=fsync`, and `dd if=/mnt/dd
   *  of=/dev/null bs=1M` after `echo 3 > /proc/sys/vm/drop_caches`. */
  writeMbPerS: number;
  readMbPerS: number;
  /** The main thread while the guest booted the first time (v86 on its worker). */
  mainThread: MainThreadReport;
  /** Flushes that reached the block layer (WebAIO variants), over the whole trial. */
  flushes: number;
  error?: string;
}

/** One boot, measured for the main thread only: through the page's Linux view, or with v86 on
 *  the main thread itself. */
export interface LinuxMainThreadRun {
  how: 'view' | 'main-thread';
  bootMs: number;
  mainThread: MainThreadReport;
  error?: string;
}

export interface LinuxSummary {
  variant: LinuxVariant;
  trials: number;
  failed: number;
  firstBootMs: Spread;
  bootMs: Spread;
  writeMbPerS: Spread;
  readMbPerS: Spread;
  longestTaskMs: Spread;
  heartbeatMaxGapMs: Spread;
}

export interface LinuxBenchResult {
  scenario: 'linux';
  params: LinuxBenchParams;
  startedAt: string;
  elapsedMs: number;
  /** The guest: kernel release and the default disk mode. */
  kernelRelease: string;
  defaultMode: string;
  runs: LinuxRun[];
  mainThreadRuns: LinuxMainThreadRun[];
  summaries: LinuxSummary[];
}

export function summarizeLinux(runs: readonly LinuxRun[]): LinuxSummary[] {
  const variants = [...new Set(runs.map((r) => r.variant))];
  return variants.map((variant) => {
    const ok = runs.filter((r) => r.variant === variant && !r.error);
    const of = (f: (r: LinuxRun) => number) => spreadOf(ok.map(f));
    return {
      variant,
      trials: ok.length,
      failed: runs.filter((r) => r.variant === variant && r.error).length,
      firstBootMs: of((r) => r.firstBootMs),
      bootMs: of((r) => r.bootMs),
      writeMbPerS: of((r) => r.writeMbPerS),
      readMbPerS: of((r) => r.readMbPerS),
      longestTaskMs: of((r) => r.mainThread.longestTaskMs),
      heartbeatMaxGapMs: of((r) => r.mainThread.heartbeatMaxGapMs),
    };
  });
}
