// The main loop on the page's main thread (cf. util/main-loop.c and aio_bh_poll() in
// util/async.c): await the notifier word with Atomics.waitAsync, run every scheduled bottom half
// once, and time each run. It never blocks the page: it yields to the event loop after each pass.

import { aioNotify, bhTakeScheduled } from '../shared/sync/bh.ts';
import { nowMs, stampMs } from '../shared/sync/clock.ts';
import { Histogram, type LatencySummary } from '../shared/stats/histogram.ts';
import type { Control } from '../shared/layout/layout.ts';
import { BH_COUNT, type BhId } from '../shared/sync/loop-layout.ts';

/** A bottom half; one that must take a lock on this thread (which may not block) awaits it. */
export type BhFn = () => void | Promise<void>;

export interface BhRunStats {
  name: string;
  runs: number;
  lastMs: number;
  maxMs: number;
  totalMs: number;
  /** Run times in µs. */
  runUs: LatencySummary;
}

/** A lock the loop holds while it runs bottom halves (the BQL, once there is a machine). */
export interface LoopLock {
  lockAsync(): Promise<void>;
  unlock(): void;
}

interface Bh {
  name: string;
  fn: BhFn;
  /** Runs with the loop's lock (the BQL) held. */
  locked: boolean;
  runs: number;
  lastMs: number;
  maxMs: number;
  totalMs: number;
  hist: Histogram;
}

/** Give the event loop a turn: rendering, input and messages run before the next pass. */
function yieldToEventLoop(): Promise<void> {
  const s = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (s?.yield) return s.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class MainLoop {
  private readonly bhs: (Bh | undefined)[] = new Array(BH_COUNT);
  private running = false;
  private done: Promise<void> = Promise.resolve();
  /** The control buffer whose notifier and scheduled bits it waits on; one per main loop. */
  readonly ctl: Control;
  private readonly lock: LoopLock | undefined;
  private parked = false;
  /** Passes that ran at least one bottom half. */
  passes = 0;
  /** Errors thrown by bottom halves (the loop goes on). */
  readonly errors: unknown[] = [];
  /** Told of every bottom-half run (stamps), while a trace is being recorded. */
  onRun: ((name: string, t0: number, t1: number) => void) | undefined;

  /** A loop on `ctl`; a machine's holds `lock`, its BQL, while bottom halves run, as QEMU's
   *  main loop does (openBlock's has no machine, hence no BQL). */
  constructor(ctl: Control, lock?: LoopLock) {
    this.ctl = ctl;
    this.lock = lock;
  }

  /**
   * qemu_bh_new(): the function to run when BH `id` is scheduled. It runs holding the loop's
   * lock (the BQL), unless `locked` is false.
   */
  bhNew(id: BhId, name: string, fn: BhFn, { locked = true } = {}): void {
    if (this.bhs[id]) throw new Error(`bottom half ${id} is already ${this.bhs[id].name}`);
    this.bhs[id] = {
      name,
      fn,
      locked,
      runs: 0,
      lastMs: 0,
      maxMs: 0,
      totalMs: 0,
      hist: Histogram.create(),
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.loop();
  }

  /** Stop after the current pass; bottom halves scheduled meanwhile stay scheduled. */
  async stop(): Promise<void> {
    this.running = false;
    aioNotify(this.ctl);
    await this.done;
  }

  /** True while the loop sleeps on its notifier with nothing scheduled. */
  get waiting(): boolean {
    return this.parked;
  }

  stats(): BhRunStats[] {
    return this.bhs.flatMap((bh) =>
      bh
        ? [
            {
              name: bh.name,
              runs: bh.runs,
              lastMs: bh.lastMs,
              maxMs: bh.maxMs,
              totalMs: bh.totalMs,
              runUs: bh.hist.summary(),
            },
          ]
        : [],
    );
  }

  private async loop(): Promise<void> {
    const { i32, L } = this.ctl;
    while (this.running) {
      // Read the notifier before taking the bits: a schedule after the take changes the word,
      // so the wait below returns at once instead of sleeping through it.
      const seq = Atomics.load(i32, L.loop.notifier);
      const bits = bhTakeScheduled(this.ctl);
      if (bits !== 0) {
        await this.dispatch(bits);
        this.passes++;
        await yieldToEventLoop();
        continue;
      }
      const w = Atomics.waitAsync(i32, L.loop.notifier, seq);
      if (w.async) {
        this.parked = true;
        await w.value;
        this.parked = false;
      }
    }
  }

  private async dispatch(bits: number): Promise<void> {
    const due = this.bhs.filter((bh, id): bh is Bh => bh !== undefined && (bits & (1 << id)) !== 0);
    for (const bh of due) if (!bh.locked) await this.run(bh);
    const locked = due.filter((bh) => bh.locked);
    if (locked.length === 0) return;
    if (this.lock) await this.lock.lockAsync();
    try {
      for (const bh of locked) await this.run(bh);
    } finally {
      this.lock?.unlock();
    }
  }

  private async run(bh: Bh): Promise<void> {
    const stamp0 = this.onRun ? stampMs() : 0;
    const t0 = nowMs();
    try {
      await bh.fn();
    } catch (e) {
      this.errors.push(e);
      console.error(`bottom half ${bh.name} threw`, e);
    }
    const ms = nowMs() - t0;
    bh.runs++;
    bh.lastMs = ms;
    bh.totalMs += ms;
    if (ms > bh.maxMs) bh.maxMs = ms;
    bh.hist.record(ms * 1000);
    this.onRun?.(bh.name, stamp0, stamp0 + ms);
  }
}
