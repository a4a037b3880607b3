// Control-plane contracts (comlink): what each worker exposes. Workers implement these with
// `satisfies`; the page calls them through wrap<...>(). The data plane never goes through here.

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
