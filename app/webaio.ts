// window.webaio: the scripting API that the page, the benchmark and the tests all use.

import type { Bench } from '../bench/page/index.ts';
import type { BlockBackendOptions } from './block/block-config.ts';
import { BlockIo } from './block/block-io.ts';
import { exportImage } from './images/image-export.ts';
import { importImage, type ImportOptions } from './images/image-import.ts';
import { resizeImage, type ResizeOptions } from './images/image-resize.ts';
import {
  createImage,
  deleteImage,
  imageInfo,
  listImages,
  type CreateOptions,
} from './images/images.ts';
import { checkIsolation, type IsolationReport } from './isolation.ts';
import { lazyBench } from './lazy-bench.ts';
import type { LinuxConfig } from './linux/linux-config.ts';
import { LinuxMachine } from './linux/linux-machine.ts';
import { Machine } from './machine/machine.ts';
import type { MachineConfig } from './machine/machine-config.ts';
import { runSelftest, type SelftestResult } from './selftest.ts';
import { chromeTrace, type ChromeTrace } from './shared/trace/chrome-trace.ts';
import type { ImageInfo } from './shared/block/image-format.ts';
import type { MachineTrace } from './shared/trace/trace.ts';

export interface Images {
  /** A blank image of `sizeBytes`, or — with `{ backing: url }` and no size — an overlay of a
   *  base image over HTTP, as big as the base. */
  create(name: string, sizeBytes: number, opts?: CreateOptions): Promise<ImageInfo>;
  create(name: string, opts: CreateOptions & { backing: string }): Promise<ImageInfo>;
  info(name: string): Promise<ImageInfo>;
  list(): Promise<ImageInfo[]>;
  delete(name: string): Promise<void>;
  /** A new image from a raw disk image, streamed; all-zero chunks are not stored. */
  import(
    name: string,
    source: Blob | ReadableStream<Uint8Array>,
    opts?: ImportOptions,
  ): Promise<ImageInfo>;
  /** The image's bytes, streamed (a raw image). */
  export(name: string): ReadableStream<Uint8Array>;
  /** Grow, or with { shrink: true } shrink, discarding what lies past the new end. */
  resize(name: string, sizeBytes: number, opts?: ResizeOptions): Promise<ImageInfo>;
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
   * Boot Linux in v86 on an image (its IDE disk served by the image's AIO pool); resolves once
   * the PC runs — `await m.booted()` for the guest's disk, `m.console` for its serial console.
   */
  createLinux(cfg: LinuxConfig): Promise<LinuxMachine>;
  /** The Linux machine the page's Linux view shows, if any. */
  linux: LinuxMachine | undefined;
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
    images: {
      create: createImage as Images['create'],
      info: imageInfo,
      list: listImages,
      delete: deleteImage,
      import: importImage,
      export: exportImage,
      resize: resizeImage,
    },
    openBlock: (image, opts) => BlockIo.open(image, opts),
    createMachine: (cfg) => Machine.create(cfg),
    machine: undefined,
    createLinux: (cfg) => LinuxMachine.create(cfg),
    linux: undefined,
    bench: lazyBench(),
    chromeTrace,
  };
}

declare global {
  interface Window {
    webaio: WebAio;
  }
}
