// Every worker the page creates, in one place: Vite bundles a worker only when it sees
// `new Worker(new URL('…', import.meta.url), { type: 'module' })` written out literally.

export function spawnSelftestWorker(): Worker {
  return new Worker(new URL('../workers/selftest-worker.ts', import.meta.url), {
    type: 'module',
    name: 'selftest',
  });
}
