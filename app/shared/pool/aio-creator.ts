// The one way a pool worker comes to life (qemu_thread_create in do_spawn_thread()), the same for
// the page and, under `inline`, for a vCPU: start the worker, hand it its init, and if it never
// gets to run, count it out of the pool and end it.

import type { AioInit, AioPoolParams } from '../contracts.ts';
import { workerNeverRan } from './pool-orphans.ts';
import { workerName } from './spawn-records.ts';
import type { PoolCore, WorkerCreator } from './thread-pool.ts';

/** What this code needs of a Worker (app/shared sees no DOM or WebWorker types). */
export interface WorkerHandle {
  addEventListener(type: 'error', listener: (ev: { message?: string }) => void): void;
  terminate(): void;
}

/**
 * Start an AIO worker named `name`: its `new Worker(new URL(…))`, written out literally where
 * Vite can see it (app/spawn.ts, workers/vcpu-worker.ts), and its comlink init.
 */
export type AioSpawn = (name: string) => {
  worker: WorkerHandle;
  init(init: AioInit): Promise<unknown>;
};

// Present on the page, in workers and in Node; not in app/shared's types.
const log = (globalThis as unknown as { console: { error(...args: unknown[]): void } }).console;

/** `thread`'s WorkerCreator for `pool`: every worker it starts gets `aio`. */
export function aioWorkerCreator(
  thread: number,
  pool: PoolCore,
  aio: AioPoolParams,
  spawn: AioSpawn,
): WorkerCreator {
  return {
    thread,
    start(record: number): void {
      const name = workerName(pool.ctl, record);
      let worker: WorkerHandle | undefined;
      const neverRan = (why: string, e?: unknown) => {
        log.error(`${name}: ${why}`, ...(e === undefined ? [] : [e]));
        // Counted out only if it never counted itself in: then it cannot be blocked.
        void workerNeverRan(pool, record).then((never) => never && worker?.terminate());
      };
      try {
        const started = spawn(name);
        worker = started.worker;
        worker.addEventListener('error', (ev) => neverRan(ev.message || 'failed to load'));
        started
          .init({ ...aio, record, thread: name })
          .catch((e: unknown) => neverRan('init failed', e));
      } catch (e) {
        neverRan('new Worker() failed', e);
      }
    },
  };
}
