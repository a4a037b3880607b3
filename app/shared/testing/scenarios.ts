// What a test thread does, by name. Each scenario posts exactly one result and returns.

import { parentPort, workerData } from 'node:worker_threads';
import { bhSchedule } from '../sync/bh.ts';
import { QemuCond } from '../sync/cond.ts';
import { attachControl } from '../layout/layout.ts';
import { BH } from '../sync/loop-layout.ts';
import { QemuMutex } from '../sync/mutex.ts';
import { PoolCore } from '../pool/thread-pool.ts';
import { workerThread } from '../pool/worker-thread.ts';
import { W } from './words.ts';

interface Data {
  scenario: string;
  sab: SharedArrayBuffer;
  args: Record<string, number>;
}
const { scenario, sab, args } = workerData as Data;

function post(result: unknown): void {
  parentPort?.postMessage(result);
}

/**
 * Under the mutex, announce the wait (W.ready), then `wait`; count a wake-up in W.woken, and
 * report whether it was woken and how long it took.
 */
function waitOnCond(wait: (c: QemuCond, m: QemuMutex) => boolean): {
  woken: boolean;
  waitedMs: number;
} {
  const i32 = new Int32Array(sab);
  const m = new QemuMutex(i32, W.mutex);
  const c = new QemuCond(i32, W.cond);
  m.lock();
  Atomics.add(i32, W.ready, 1);
  Atomics.notify(i32, W.ready);
  const t0 = performance.now();
  const woken = wait(c, m);
  const waitedMs = performance.now() - t0;
  if (woken) Atomics.add(i32, W.woken, 1);
  m.unlock();
  return { woken, waitedMs };
}

const scenariosByName: Record<string, () => unknown> = {
  /** `iterations` read-modify-writes of a plain word, each under the mutex. */
  'mutex-increment'() {
    const i32 = new Int32Array(sab);
    const m = new QemuMutex(i32, W.mutex);
    for (let i = 0; i < (args.iterations ?? 0); i++) {
      m.lock();
      // A deliberately non-atomic increment: only the mutex keeps it from losing updates.
      const v = i32[W.counter];
      i32[W.counter] = v + 1;
      m.unlock();
    }
    return args.iterations;
  },

  /** Wait on the condition variable with a timeout; report whether it was woken, and when. */
  'cond-wait'() {
    return waitOnCond((c, m) => c.timedWait(m, args.timeoutMs ?? 0));
  },

  /** Poll the condition for `pollUs` with the mutex held around it, as an idle worker does. */
  'cond-poll'() {
    return waitOnCond((c, m) => c.poll(m, args.pollUs ?? 0));
  },

  /** Schedule one bottom half `times` times from this thread. */
  'bh-schedule'() {
    const ctl = attachControl(sab);
    for (let i = 0; i < (args.times ?? 0); i++) bhSchedule(ctl, BH.probe);
    return args.times;
  },

  /**
   * A pool worker without storage: the real worker_thread() — first act included — serving
   * each request by returning its length after `serveUs` of work. Posts the number it served.
   */
  async 'pool-worker'() {
    const ctl = attachControl(sab);
    const pool = new PoolCore(ctl);
    let served = 0;
    const serve = async (slot: number) => {
      const until = performance.now() + (args.serveUs ?? 0) / 1000;
      while (performance.now() < until);
      served++;
      return ctl.f64[ctl.L.slot.nbytes.at(slot)];
    };
    await workerThread(pool, args.record ?? -1, async () => ({
      run: async (slots) => {
        const rets: number[] = [];
        for (const slot of slots) rets.push(await serve(slot));
        return rets;
      },
      settle: () => Promise.resolve(),
    }));
    return served;
  },

  /** Attach to a control buffer; report the error message if refused. */
  attach() {
    try {
      attachControl(sab);
      return 'attached';
    } catch (e) {
      return (e as Error).message;
    }
  },
};

const run = scenariosByName[scenario];
if (!run) throw new Error(`no test scenario named ${scenario}`);
post(await run());
