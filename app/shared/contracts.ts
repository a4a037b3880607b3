// Control-plane contracts (comlink): what each worker exposes. Workers implement these with
// `satisfies`; the page calls them through wrap<...>(). The data plane never goes through here.

import type { CacheMode } from './block.ts';

/** What a worker saw when it attached to a control buffer. */
export interface AttachInfo {
  /** The worker's own name, e.g. "selftest" or "aio-3". */
  thread: string;
  layoutVersion: number;
  byteLength: number;
}

/** The self-test worker: proves a worker can attach and wake the main loop, and times it. */
export interface SelftestWorkerApi {
  /** Attach to `ctl`; returns before the worker does anything that blocks. */
  init(ctl: SharedArrayBuffer, id: number): AttachInfo;
  /**
   * Schedule the probe bottom half `times` times, each after the previous run was seen (the
   * worker blocks in Atomics.wait meanwhile). Resolves with the number of runs it saw.
   */
  pingMainLoop(times: number): number;
}

/** The image an AIO worker serves. */
export interface AioImageParams {
  name: string;
  virtualSize: number;
  chunkSize: number;
}

export interface AioInit {
  /** The pool's control buffer. */
  ctl: SharedArrayBuffer;
  /** The memory requests' segments point into (guest RAM, or the page's bounce buffer). */
  dma: SharedArrayBuffer;
  image: AioImageParams;
  cache: CacheMode;
  /** This worker's spawn record. */
  record: number;
  /** Name for messages, e.g. "aio-7". */
  thread: string;
}

/** A pool worker (cf. worker_thread() in util/thread-pool.c). */
export interface AioWorkerApi {
  /**
   * The newborn's first act (pending_threads--, ask for the next one), then open the image.
   * Resolves before the worker enters its loop, where it blocks and hears no more messages.
   */
  init(init: AioInit): Promise<AttachInfo>;
}
