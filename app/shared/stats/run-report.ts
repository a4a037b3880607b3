// fio's "Run status group": the jobs of a run and their sum. Environment-neutral, so that the
// benchmark's results, read by `npm run bench` in Node, can carry it.

import type { JobReport } from '../guest/guest-job.ts';

/** fio's "Run status group": the jobs, and their sum. */
export interface RunReport {
  jobs: JobReport[];
  total: {
    ios: number;
    bytes: number;
    iops: number;
    /** Bytes per second. */
    bw: number;
    runtimeMs: number;
    verify: { checked: number; errors: number };
    status: { ok: number; ioerr: number; unsupp: number; none: number };
  };
}

export function runReport(jobs: JobReport[]): RunReport {
  const total = {
    ios: 0,
    bytes: 0,
    iops: 0,
    bw: 0,
    runtimeMs: 0,
    verify: { checked: 0, errors: 0 },
    status: { ok: 0, ioerr: 0, unsupp: 0, none: 0 },
  };
  for (const j of jobs) {
    total.ios += j.ios;
    total.bytes += j.bytes;
    total.iops += j.iops;
    total.bw += j.bw;
    total.runtimeMs = Math.max(total.runtimeMs, j.runtimeMs);
    total.verify.checked += j.verify.checked;
    total.verify.errors += j.verify.errors;
    for (const k of ['ok', 'ioerr', 'unsupp', 'none'] as const) total.status[k] += j.status[k];
  }
  return { jobs, total };
}
