// window.webaio.bench: the benchmark scenarios, run in the page. `npm run bench` drives them in
// headless Chromium; from the console, `await webaio.bench.block({ runtimeMs: 1000 })` works too.

import { runBlockBench } from './block.ts';
import type { BlockBenchParams, BlockBenchResult } from './block-params.ts';

export interface Bench {
  /** The emulator's random reads and writes against a plain idb-keyval loop (docs/benchmarks.md). */
  block(params?: Partial<BlockBenchParams>): Promise<BlockBenchResult>;
}

export function createBench(): Bench {
  return { block: runBlockBench };
}
