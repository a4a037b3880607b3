// The `shape` scenario (issue 11, "find the shape of the limit"): plain IndexedDB from plain
// workers, no WebAIO between — mixed reads and writes on one store, K stores, K databases or K
// storage buckets; value sizes; ArrayBuffer against Blob values; strict against relaxed commits.
// Each part creates and fills its database setups, runs every cell once per trial (cells
// interleaved, so drift spreads over all of them), then deletes them. A long research run: not
// part of `npm run bench`'s default list.

import { wrap, type Remote } from 'comlink';
import { nowMs } from '../../app/shared/clock.ts';
import { hash32 } from '../../app/shared/rng.ts';
import { progress } from '../shared/progress.ts';
import type { ShapeDbSpec, ShapeJob, ShapeWorkerApi } from '../shared/shape-contract.ts';
import {
  checkShapeParams,
  estimatedMs,
  setupKey,
  setupsOf,
  shapeCells,
  workersNeeded,
  type ShapeCell,
  type ShapeParams,
} from '../shared/shape-params.ts';
import {
  sideOf,
  summarizeCell,
  type ShapeCellResult,
  type ShapeResult,
  type ShapeTrial,
} from '../shared/shape-summary.ts';
import { spawnShapeWorker } from './spawn.ts';

/** Databases and buckets of this scenario; bucket names must be lowercase. */
const PREFIX = 'bench-shape-';

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Plain shape workers; every call also fails as soon as one of them fails to load. */
class ShapeWorkers {
  readonly apis: Remote<ShapeWorkerApi>[];
  private readonly workers: Worker[];
  private readonly lost: Promise<never>;

  constructor(n: number) {
    this.workers = Array.from({ length: n }, () => spawnShapeWorker());
    this.apis = this.workers.map((w) => wrap<ShapeWorkerApi>(w));
    this.lost = new Promise<never>((_, reject) => {
      for (const [i, w] of this.workers.entries()) {
        w.addEventListener(
          'error',
          (ev) => reject(new Error(`shape worker ${i}: ${ev.message || 'failed to load'}`)),
          { once: true },
        );
      }
    });
    this.lost.catch(() => undefined);
  }

  call<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.lost]);
  }

  /** Close every connection, then end the workers (idle in their event loop). */
  async close(): Promise<void> {
    await this.call(Promise.all(this.apis.map((api) => api.close()))).catch((e: unknown) =>
      console.warn('shape workers: close failed', e),
    );
    for (const w of this.workers) w.terminate();
  }
}

/** One trial of one cell: every worker of it at once; each side summed over its workers. */
async function runCell(
  group: ShapeWorkers,
  cell: ShapeCell,
  spec: ShapeDbSpec,
  p: ShapeParams,
  trial: number,
): Promise<ShapeTrial> {
  const jobs = Array.from({ length: cell.writers + cell.readers }, (_, index) => {
    const reader = index >= cell.writers;
    const job: ShapeJob = {
      spec,
      op: reader ? 'get' : cell.writeOp,
      batch: cell.batch,
      inflight: p.inflight,
      durability: cell.durability,
      warmupMs: p.warmupMs,
      runtimeMs: p.runtimeMs,
      seed: hash32(p.seed, trial, index) & 0x7fffffff,
    };
    return { reader, run: group.call(group.apis[index].run(job)) };
  });
  // Every worker is finished before the next cell starts, even when one of them failed.
  const settled = await Promise.allSettled(jobs.map((j) => j.run));
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure) return { trial, reads: null, writes: null, error: messageOf(failure.reason) };
  const runs = settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
  const side = (reader: boolean) =>
    sideOf(runs.flatMap((r, i) => (r && jobs[i].reader === reader ? [r] : [])));
  return { trial, reads: side(true), writes: side(false), error: null };
}

const perS = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(0));

export async function runShape(input: Partial<ShapeParams> = {}): Promise<ShapeResult> {
  const params = checkShapeParams(input);
  const startedAt = new Date().toISOString();
  const t0 = nowMs();
  const cells = shapeCells(params);
  const runId = Date.now().toString(36);
  const group = new ShapeWorkers(workersNeeded(cells));
  try {
    const first = group.apis[0];
    await group.call(first.sweep(PREFIX));
    const probe = await group.call(first.probe(`${PREFIX}${runId}-probe`));
    const storageBuckets = {
      page: 'storageBuckets' in navigator,
      worker: probe.storageBuckets,
      error: probe.bucketError,
    };
    progress(
      `shape: ${cells.length} cells x ${params.trials} trials, ${params.warmupMs} + ` +
        `${params.runtimeMs} ms each (about ${Math.round(estimatedMs(params) / 1000)} s without ` +
        `the prefills); storage buckets: page ${storageBuckets.page}, worker ` +
        `${storageBuckets.worker}${storageBuckets.error ? ` (${storageBuckets.error})` : ''}`,
    );
    const results: ShapeCellResult[] = [];
    const prefill: ShapeResult['prefill'] = [];
    for (const part of params.parts) {
      const partCells = cells.filter((c) => c.part === part);
      const specs = new Map<string, ShapeDbSpec>();
      const broken = new Map<string, string>();
      const trials = new Map<string, ShapeTrial[]>(partCells.map((c) => [c.key, []]));
      try {
        for (const [i, setup] of setupsOf(partCells).entries()) {
          const key = setupKey(setup);
          const spec = {
            ...setup,
            name: `${PREFIX}${runId}-${part}-${i}`,
            chunks: params.regionBytes / setup.valueBytes,
          };
          // Registered before it exists, so that a half-made setup is deleted too.
          specs.set(key, spec);
          try {
            const ms = await group.call(first.create(spec, params.seed));
            prefill.push({ part, setup: key, ms, error: null });
            progress(`shape ${part}: ${key} created and filled in ${ms.toFixed(0)} ms`);
          } catch (e) {
            broken.set(key, messageOf(e));
            prefill.push({ part, setup: key, ms: 0, error: messageOf(e) });
            progress(`shape ${part}: ${key} FAILED: ${messageOf(e)}`);
          }
        }
        for (let trial = 1; trial <= params.trials; trial++) {
          for (const cell of partCells) {
            const key = setupKey(cell.setup);
            const error = broken.get(key);
            const spec = specs.get(key);
            const t =
              error !== undefined || !spec
                ? { trial, reads: null, writes: null, error: error ?? 'no setup' }
                : await runCell(group, cell, spec, params, trial);
            trials.get(cell.key)?.push(t);
            if (error === undefined) {
              progress(
                `shape ${cell.key} trial ${trial}: ` +
                  (t.error
                    ? `FAILED: ${t.error}`
                    : `reads/s ${perS(t.reads?.opsPerS)}, writes/s ${perS(t.writes?.opsPerS)}`),
              );
            }
          }
        }
      } finally {
        await group.call(Promise.all(group.apis.map((api) => api.close())));
        for (const spec of specs.values()) {
          await group
            .call(first.destroy(spec))
            .catch((e: unknown) => console.warn(`bench shape: ${messageOf(e)}`));
        }
      }
      for (const cell of partCells) results.push(summarizeCell(cell, trials.get(cell.key) ?? []));
    }
    return {
      scenario: 'shape',
      params,
      storageBuckets,
      prefill,
      startedAt,
      elapsedMs: nowMs() - t0,
      cells: results,
    };
  } finally {
    await group.close();
  }
}
