// The benchmark, loaded on first use: window.webaio.bench, the lesson and its benchmark details
// reach bench/page/ through this file, and only this one, with import(), so the demo's own
// bundle carries none of the benchmark until something runs it.

import type * as BenchPage from '../bench/page/index.ts';
import type { Bench } from '../bench/page/index.ts';

export type BenchModule = typeof BenchPage;

let loading: Promise<BenchModule> | undefined;

/** bench/page/, fetched once; a failed fetch (a network blip) is tried again on the next call. */
export function loadBench(): Promise<BenchModule> {
  loading ??= import('../bench/page/index.ts').catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}

/** webaio.bench: the same methods as bench/page's, each loading it before it runs. */
export function lazyBench(): Bench {
  let bench: Bench | undefined;
  const loaded = async () => (bench ??= (await loadBench()).createBench());
  return {
    coldBurst: async (params) => (await loaded()).coldBurst(params),
    steady: async (params) => (await loaded()).steady(params),
    ceiling: async (params) => (await loaded()).ceiling(params),
    ceilingBatched: async (params) => (await loaded()).ceilingBatched(params),
    machine: async (params) => (await loaded()).machine(params),
    linux: async (params) => (await loaded()).linux(params),
  };
}
