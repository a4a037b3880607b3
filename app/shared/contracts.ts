// Control-plane contracts (comlink): what each worker exposes. Workers implement these with
// `satisfies`; the page calls them through wrap<...>(). The data plane never goes through here.

import type { CacheMode } from './block/block.ts';
import type { BackingMeta } from './block/image-format.ts';
import type { JobReport, ResolvedJob } from './guest/guest-job.ts';

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
  /** An overlay's base over HTTP (workers/block/backing.ts). */
  backing?: BackingMeta;
}

/** What every worker of one pool starts with. */
export interface AioPoolParams {
  /** The pool's control buffer. */
  ctl: SharedArrayBuffer;
  /** The memory requests' segments point into (guest RAM, or the page's bounce buffer). */
  dma: SharedArrayBuffer;
  image: AioImageParams;
  cache: CacheMode;
  /** Names the workers' lifetime Web Locks (see lifetimeLockName). */
  workerLockPrefix: string;
  /** The page cache's pages (control buffer params.cachePages of them), or null for none. */
  cacheMemory: SharedArrayBuffer | null;
}

export interface AioInit extends AioPoolParams {
  /** This worker's spawn record. */
  record: number;
  /** Name for messages, e.g. "aio-7". */
  thread: string;
}

/**
 * The Web Lock a pool worker holds for as long as it lives: whoever may outlive it learns it is
 * gone when the lock is granted to them (workers die with the vCPU that created them).
 */
export const lifetimeLockName = (prefix: string, record: number) => `${prefix}:${record}`;

/** A pool worker (cf. worker_thread() in util/thread-pool.c). */
export interface AioWorkerApi {
  /**
   * Attach and take the lifetime lock; resolves before the worker enters worker_thread(), where
   * it may block and hears no more messages.
   */
  init(init: AioInit): Promise<AttachInfo>;
}

/** What a vCPU needs to run: its memories, its device queue, the disk, its guest's RAM. */
export interface VcpuInit {
  ctl: SharedArrayBuffer;
  ram: SharedArrayBuffer;
  vcpu: number;
  /** The part of guest RAM this vCPU's guest program keeps its queue and buffers in. */
  ramBase: number;
  ramSize: number;
  /** The disk as the device presents it: its size and the id GET_ID returns. */
  virtualSize: number;
  diskId: string;
  queueSize: number;
  segMax: number;
  /** For pool workers this vCPU creates itself (the `inline` policy). */
  aio: AioPoolParams;
}

/** A vCPU thread: guest code, and device emulation on MMIO exits. */
export interface VcpuWorkerApi {
  /** Attach; the guest does not run yet. */
  init(init: VcpuInit): AttachInfo;
  /**
   * Run a job to its end, or until the page asks this vCPU to stop. The vCPU halts with
   * Atomics.waitAsync, so this worker keeps hearing messages while the job runs.
   */
  run(job: ResolvedJob): Promise<JobReport>;
  /**
   * The vCPU is about to be ended. If it created pool workers (which die with it), it takes the
   * pool lock and keeps it, and waits until none of them is inside a batch's I/O, so none can
   * die inside a critical section or holding the write gate, the page cache's locks or pins;
   * the page then ends it, learns which workers died, fixes the pool, and unlocks on its
   * behalf. Returns whether it holds the pool lock.
   */
  quiesce(): Promise<boolean>;
}

/** How v86's hard disk is served: WebAIO's block layer, or (the benchmark's baseline) an
 *  ArrayBuffer in the worker, as v86 keeps a disk by default. */
export type LinuxDiskInit =
  | {
      kind: 'aio';
      /** The backend's control buffer, and the staging buffer requests' data go through. */
      ctl: SharedArrayBuffer;
      dma: SharedArrayBuffer;
      /** For pool workers the v86 thread creates itself (the `inline` policy). */
      aio: AioPoolParams;
      virtualSize: number;
      /** Advertise a write cache and forward FLUSH CACHE to the block layer's flush. */
      writeCache: boolean;
    }
  | { kind: 'memory'; virtualSize: number };

/** What v86's worker boots: absolute URLs of the guest's files, and the machine's shape. */
export interface LinuxInit {
  wasmUrl: string;
  biosUrl: string;
  vgaBiosUrl: string;
  kernelUrl: string;
  initrdUrl: string;
  cmdline: string;
  memoryBytes: number;
  disk: LinuxDiskInit;
}

/** Bytes on a serial port, either way, over the MessagePort given to LinuxWorkerApi.init. */
export interface SerialMessage {
  uart: number;
  bytes: Uint8Array;
}

/** v86's thread: the emulated PC, its IDE disk a front end on WebAIO's block layer. `Port` is
 *  a MessagePort (a type app/shared does not see). */
export interface LinuxWorkerApi<Port = unknown> {
  /** Attach, load v86 and the guest's files, and start the PC; resolves once it runs. The
   *  serial ports' bytes go both ways over `serial` (SerialMessage). */
  init(init: LinuxInit, serial: Port): Promise<AttachInfo>;
  /** Stop the CPU (requests already in the pool still complete). */
  stop(): Promise<void>;
  /** Reset the PC: a new one boots on the same disk (requests of the old one still complete,
   *  unheard); resolves once it runs. */
  reset(): Promise<void>;
  /** As VcpuWorkerApi.quiesce: before the page ends this thread. */
  quiesce(): Promise<boolean>;
}
