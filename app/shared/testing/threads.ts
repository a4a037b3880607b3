// Real threads for the unit tests: run a scenario of scenarios.ts in node:worker_threads on the
// same SharedArrayBuffer, and collect what it posts back.

import { Worker } from 'node:worker_threads';

const bootstrap = new URL('./bootstrap.mjs', import.meta.url);
const scenarios = new URL('./scenarios.ts', import.meta.url).href;

export interface ThreadJob {
  scenario: string;
  /** The module of scenarios to run it from (default: scenarios.ts, beside this file). */
  module?: URL;
  sab: SharedArrayBuffer;
  /** A second shared buffer, for scenarios that need one (the page cache's memory). */
  memory?: SharedArrayBuffer;
  args?: Record<string, number>;
}

/** A running thread: `result` settles with the scenario's result when the thread ends. */
export interface Thread<T> {
  worker: Worker;
  result: Promise<T>;
}

/** Start a thread and keep hold of it (to end it from outside, say). */
export function startThread<T = number>(job: ThreadJob): Thread<T> {
  const { module, ...data } = job;
  const worker = new Worker(bootstrap, {
    workerData: { module: module?.href ?? scenarios, ...data },
  });
  const result = new Promise<T>((resolve, reject) => {
    let value: T | undefined;
    let got = false;
    worker.on('message', (m: T) => {
      value = m;
      got = true;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (got) resolve(value as T);
      else reject(new Error(`thread ${job.scenario} exited with code ${code} and no result`));
    });
  });
  return { worker, result };
}

/** Start a thread; the promise settles with the scenario's result when the thread ends. */
export function runThread<T = number>(job: ThreadJob): Promise<T> {
  return startThread<T>(job).result;
}
