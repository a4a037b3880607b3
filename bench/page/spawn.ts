// The benchmark's workers, created here and nowhere else (as app/spawn.ts for the product's):
// Vite bundles a worker only when it sees `new Worker(new URL(…), { type: 'module' })` literally.

/** The baseline: one plain worker doing idb-keyval calls on an image, no pool (ceiling.ts). */
export function spawnCeilingWorker(): Worker {
  return new Worker(new URL('../worker/ceiling-worker.ts', import.meta.url), {
    type: 'module',
    name: 'ceiling',
  });
}
