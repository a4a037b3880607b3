// Every worker the page creates, in one place: Vite bundles a worker only when it sees
// `new Worker(new URL('…', import.meta.url), { type: 'module' })` written out literally.

import { wrap } from 'comlink';
import type { AioSpawn } from './shared/pool/aio-creator.ts';
import type { AioWorkerApi } from './shared/contracts.ts';

export function spawnSelftestWorker(): Worker {
  return new Worker(new URL('../workers/selftest-worker.ts', import.meta.url), {
    type: 'module',
    name: 'selftest',
  });
}

/** A pool worker created by the page (policies `bh` and `prealloc`, and `inline` on the page). */
export const spawnAioWorker: AioSpawn = (name) => {
  const worker = new Worker(new URL('../workers/aio-worker.ts', import.meta.url), {
    type: 'module',
    name,
  });
  return { worker, init: (init) => wrap<AioWorkerApi>(worker).init(init) };
};

/** A vCPU thread. */
export function spawnVcpuWorker(name: string): Worker {
  return new Worker(new URL('../workers/vcpu-worker.ts', import.meta.url), {
    type: 'module',
    name,
  });
}

/** v86's thread: the PC of a Linux machine (app/linux/). */
export function spawnLinuxWorker(): Worker {
  return new Worker(new URL('../workers/linux-worker.ts', import.meta.url), {
    type: 'module',
    name: 'v86',
  });
}
