// window.webaio.bench: the benchmark scenarios, run in the page. `npm run bench` drives them in
// headless Chromium; from the console, `await webaio.bench.coldBurst({ runtimeMs: 1000 })` works
// too. Parameters and results: docs/benchmarks.md.

import { runBlockBench } from './block.ts';
import type { BlockBenchParams, BlockBenchResult } from './block-params.ts';
import { runCeiling } from './ceiling.ts';
import { runColdBurst } from './cold-burst.ts';
import type { ColdBurstParams, ColdBurstResult } from './cold-burst-params.ts';
import { runMachineBench } from './machine-bench.ts';
import type { MachineBenchParams, MachineBenchResult } from './machine-bench-params.ts';
import { runSteady } from './steady.ts';
import type { CeilingResult, SteadyParams, SteadyResult } from './steady-params.ts';

export interface Bench {
  /** An empty pool, one vCPU's burst, per policy: stalls, main thread, first completion. */
  coldBurst(params?: Partial<ColdBurstParams>): Promise<ColdBurstResult>;
  /** vCPUs each doing one operation at once, in the steady state of the pool. */
  steady(params?: Partial<SteadyParams>): Promise<SteadyResult>;
  /** The same operations with plain idb-keyval from as many workers: steady's baseline. */
  ceiling(params?: Partial<SteadyParams>): Promise<CeilingResult>;
  /** A many-vCPU verify run, and one burst on a cold pool then on a warm one. */
  machine(params?: Partial<MachineBenchParams>): Promise<MachineBenchResult>;
  /** The emulator's random reads and writes against a plain idb-keyval loop (docs/benchmarks.md). */
  block(params?: Partial<BlockBenchParams>): Promise<BlockBenchResult>;
}

export function createBench(): Bench {
  return {
    coldBurst: runColdBurst,
    steady: runSteady,
    ceiling: runCeiling,
    machine: runMachineBench,
    block: runBlockBench,
  };
}
