// Real threads for the unit tests: run a scenario of scenarios.ts in node:worker_threads on the
// same SharedArrayBuffer, and collect what it posts back.

import { Worker } from 'node:worker_threads';

const bootstrap = new URL('./bootstrap.mjs', import.meta.url);
const scenarios = new URL('./scenarios.ts', import.meta.url).href;

export interface ThreadJob {
  scenario: string;
  sab: SharedArrayBuffer;
  args?: Record<string, number>;
}

/** Start a thread; the promise settles with the scenario's result when the thread ends. */
export function runThread<T = number>(job: ThreadJob): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(bootstrap, { workerData: { module: scenarios, ...job } });
    let result: T | undefined;
    let got = false;
    w.on('message', (m: T) => {
      result = m;
      got = true;
    });
    w.on('error', reject);
    w.on('exit', (code) => {
      if (got) resolve(result as T);
      else reject(new Error(`thread ${job.scenario} exited with code ${code} and no result`));
    });
  });
}
