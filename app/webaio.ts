// window.webaio: the scripting API that the page, the benchmark and the tests all use.

import { checkIsolation, type IsolationReport } from './isolation.ts';
import { runSelftest, type SelftestResult } from './selftest.ts';

export interface WebAio {
  readonly version: string;
  isolation(): IsolationReport;
  /** Attach a worker to shared memory and time `pings` worker -> main bottom-half wake-ups. */
  selftest(pings?: number): Promise<SelftestResult>;
}

export function createWebAio(): WebAio {
  return {
    version: '0.1.0',
    isolation: checkIsolation,
    selftest: runSelftest,
  };
}

declare global {
  interface Window {
    webaio: WebAio;
  }
}
