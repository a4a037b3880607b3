// Plain "ceiling" workers (bench/worker/ceiling-worker.ts), several at once: each opens the
// image and does idb-keyval calls on it, with nothing of the emulator between. A worker that fails
// to load never answers, so every call also fails when one of them reports an error.

import { wrap, type Remote } from 'comlink';
import { spawnCeilingWorker } from './spawn.ts';
import type { CeilingWorkerApi } from '../shared/bench-contracts.ts';

export class CeilingWorkers {
  readonly apis: Remote<CeilingWorkerApi>[];
  private readonly workers: Worker[];
  private readonly lost: Promise<never>;

  constructor(n: number) {
    this.workers = Array.from({ length: n }, () => spawnCeilingWorker());
    this.apis = this.workers.map((w) => wrap<CeilingWorkerApi>(w));
    this.lost = new Promise<never>((_, reject) => {
      for (const [i, w] of this.workers.entries()) {
        w.addEventListener(
          'error',
          (ev) => reject(new Error(`ceiling worker ${i}: ${ev.message || 'failed to load'}`)),
          { once: true },
        );
      }
    });
    this.lost.catch(() => undefined);
  }

  /** `p`, failed as soon as any worker is lost. */
  call<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.lost]);
  }

  /** Every worker opens `image`, whose chunks are `chunkSize` bytes. */
  open(image: string, chunkSize: number): Promise<void[]> {
    return this.call(Promise.all(this.apis.map((api) => api.open(image, chunkSize))));
  }

  /** Close the databases, then end the workers (idle in their event loop: they never block). */
  async close(): Promise<void> {
    await this.call(Promise.all(this.apis.map((api) => api.close()))).catch((e: unknown) =>
      console.warn('ceiling workers: close failed', e),
    );
    for (const w of this.workers) w.terminate();
  }
}
