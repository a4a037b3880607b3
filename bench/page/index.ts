// window.webaio.bench: the benchmark scenarios, run in the page. `npm run bench` drives them in
// headless Chromium; from the console, `await webaio.bench.coldBurst({ runtimeMs: 1000 })` works
// too. Parameters and results: docs/benchmarks.md. The page loads this module, one chunk, on
// first use (app/lazy-bench.ts), and the page's "Benchmark details" gets its views from it too.

import { runCeiling } from './ceiling.ts';
import { runColdBurst } from './cold-burst.ts';
import type { ColdBurstParams, ColdBurstResult } from '../shared/cold-burst-params.ts';
import { runLinuxBench } from './linux.ts';
import type { LinuxBenchParams, LinuxBenchResult } from '../shared/linux-bench-params.ts';
import { runMachineBench } from './machine-bench.ts';
import type { MachineBenchParams, MachineBenchResult } from '../shared/machine-bench-params.ts';
import { runSteady } from './steady.ts';
import type { CeilingResult, SteadyParams, SteadyResult } from '../shared/steady-params.ts';

export interface Bench {
  /** An empty pool, one vCPU's burst, per policy: stalls, main thread, first completion. */
  coldBurst(params?: Partial<ColdBurstParams>): Promise<ColdBurstResult>;
  /** vCPUs each doing one operation at once, in the steady state of the pool. */
  steady(params?: Partial<SteadyParams>): Promise<SteadyResult>;
  /** The same operations with plain idb-keyval from as many workers: steady's baseline. */
  ceiling(params?: Partial<SteadyParams>): Promise<CeilingResult>;
  /** The ceiling with up to `batch` requests per transaction: the batched emulator's baseline. */
  ceilingBatched(params?: Partial<SteadyParams>): Promise<CeilingResult>;
  /** A many-vCPU verify run, and one burst on a cold pool then on a warm one. */
  machine(params?: Partial<MachineBenchParams>): Promise<MachineBenchResult>;
  /** Linux in v86 on a WebAIO disk against an in-memory disk: boots, guest dd, main thread. */
  linux(params?: Partial<LinuxBenchParams>): Promise<LinuxBenchResult>;
}

export function createBench(): Bench {
  return {
    coldBurst: runColdBurst,
    steady: runSteady,
    ceiling: (params) => runCeiling(params, 'ceiling'),
    ceilingBatched: (params) => runCeiling(params, 'ceiling-batched'),
    machine: runMachineBench,
    linux: runLinuxBench,
  };
}

// The page's view of a cold burst: the table, legend and targets `npm run bench` prints, the
// summaries of runs gathered one round at a time, and the progress lines while it runs.
// Exported here so that the page gets them with the scenarios.
export { COLD_BURST_LEGEND, coldBurstTable } from '../shared/cold-burst-table.ts';
export { onProgress } from '../shared/progress.ts';
export { coldBurstTargets, verdictOf } from '../shared/targets.ts';
export { coldBurstRatios, summarize } from '../shared/cold-burst-summary.ts';
