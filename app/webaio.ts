// window.webaio: the scripting API that the page, the benchmark and the tests all use.

import type { Bench } from '../bench/page/index.ts';
import type { BlockBackendOptions } from './block-backend.ts';
import { BlockIo } from './block-io.ts';
import { createImage, deleteImage, imageInfo, listImages } from './images.ts';
import { checkIsolation, type IsolationReport } from './isolation.ts';
import { lazyBench } from './lazy-bench.ts';
import { Machine } from './machine.ts';
import type { MachineConfig } from './machine-config.ts';
import { runSelftest, type SelftestResult } from './selftest.ts';
import { chromeTrace, type ChromeTrace } from './shared/chrome-trace.ts';
import type { ImageInfo } from './shared/image-format.ts';
import type { MachineTrace } from './shared/trace.ts';

export interface Images {
  create(name: string, sizeBytes: number, opts?: { chunkSize?: number }): Promise<ImageInfo>;
  info(name: string): Promise<ImageInfo>;
  list(): Promise<ImageInfo[]>;
  delete(name: string): Promise<void>;
}

export interface WebAio {
  readonly version: string;
  isolation(): IsolationReport;
  /** Attach a worker to shared memory and time `pings` worker -> main bottom-half wake-ups. */
  selftest(pings?: number): Promise<SelftestResult>;
  images: Images;
  /** Open an image for direct reads and writes through its own AIO pool. */
  openBlock(image: string, opts?: BlockBackendOptions): Promise<BlockIo>;
  /** Build a machine (vCPUs, guest RAM, a virtio-blk disk on `image`); it runs on start(). */
  createMachine(cfg: MachineConfig): Promise<Machine>;
  /** The machine the page runs, if any (for the console). */
  machine: Machine | undefined;
  /**
   * Benchmark scenarios, each the emulator against a baseline measured in the same run; the first
   * call loads the benchmark (bench/page/), which the page does not otherwise fetch.
   */
  bench: Bench;
  /** Traces from machine.startTrace() as one Chrome trace-event JSON object (a process each). */
  chromeTrace(traces: MachineTrace[]): ChromeTrace;
}

export function createWebAio(): WebAio {
  return {
    version: '0.1.0',
    isolation: checkIsolation,
    selftest: runSelftest,
    images: { create: createImage, info: imageInfo, list: listImages, delete: deleteImage },
    openBlock: (image, opts) => BlockIo.open(image, opts),
    createMachine: (cfg) => Machine.create(cfg),
    machine: undefined,
    bench: lazyBench(),
    chromeTrace,
  };
}

declare global {
  interface Window {
    webaio: WebAio;
  }
}
