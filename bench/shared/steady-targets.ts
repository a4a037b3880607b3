// Issues 5 and 11's targets: the steady state against the plain workers of the same run, judged
// on steady-compare.ts's rows at iodepth 32, 4k random and 32k sequential. No DOM here.

import type { SteadyComparisonRow } from './steady-compare.ts';
import { STEADY_MIXES, type SteadyAioMode, type SteadyMix } from './steady-params.ts';
import { target, type TargetResult } from './targets.ts';

/** "1.23" or "–" */
const x = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(2));
const n0 = (v: number) => v.toFixed(0);
const perTx = (v: number | null) => (v === null ? '–' : v.toFixed(1));

/**
 * The main branch's steady figures before issue 11, as the issue quotes them: 312–320 IOPS per
 * operation, 4 vCPUs x iodepth 32, all four at once, one request per transaction.
 */
export const TODAY_STEADY_IOPS = { min: 312, max: 320 } as const;

/** The same, as a ratio to the ceiling of its run: 0.78–0.82 in the main branch's last default
 *  run, docs/runs/2026-11-27-default.md. */
export const TODAY_STEADY_VS_CEILING = { min: 0.78, max: 0.82 } as const;

const STEADY_IODEPTH = 32;
/** The size each operation's target is set for. */
const BS_OF: Readonly<Record<string, number>> = {
  randread: 4096,
  randwrite: 4096,
  seqread: 32768,
  seqwrite: 32768,
};
type RowFilter = { aio: SteadyAioMode; mix?: SteadyMix; lanes: string[] };

/** The rows a target is judged on: every policy, the lanes asked for, all of them present. */
function rowsOf(rows: readonly SteadyComparisonRow[] | null, f: RowFilter): SteadyComparisonRow[] {
  const mine = (rows ?? []).filter(
    (r) =>
      r.aio === f.aio &&
      (f.mix === undefined || r.mix === f.mix) &&
      r.iodepth === STEADY_IODEPTH &&
      r.bs === BS_OF[r.lane] &&
      f.lanes.includes(r.lane),
  );
  return f.lanes.every((l) => mine.some((r) => r.lane === l)) ? mine : [];
}

/** The emulator's side of a row: IOPS, and its transactions of the lane's kind. */
function emuText(r: SteadyComparisonRow): string {
  const t = r.transactions;
  const durable = t.durablePerS > 0 ? `, ${n0(t.durablePerS)} durable/s` : '';
  return (
    `${n0(r.emulator.iops)} IOPS, ${perTx(t.requestsPerTransaction)} req/tx ` +
    `(${perTx(t.iosPerTransaction)} guest ios/tx), ` +
    `${n0(t.transactionsPerS)} ${t.kind} tx/s${durable}${t.shared ? ' (shared by its kind)' : ''}`
  );
}

const ceilText = (name: string, c: SteadyComparisonRow['ceiling']) =>
  c
    ? `${name} ${n0(c.iops)} IOPS` +
      (c.batch > 1
        ? ` (batch ${c.batch}: ${perTx(c.requestsPerTransaction)} req/tx, ${n0(c.transactionsPerS)} tx/s)`
        : ` (${n0(c.transactionsPerS)} tx/s)`)
    : `${name} not run`;

const where = (r: SteadyComparisonRow) =>
  `${r.policy} ${r.lane}${r.mix === 'alone' ? ' alone' : ''}`;

/** Each row's `ratio(r)` at least `limit`; the figures of both sides printed. */
function ratioTarget(
  id: string,
  text: string,
  rows: SteadyComparisonRow[],
  ratio: (r: SteadyComparisonRow) => number | null,
  limit: number,
  sides: (r: SteadyComparisonRow) => string,
): TargetResult {
  return target(id, text, () => {
    const judged = rows.filter((r) => ratio(r) !== null);
    if (judged.length === 0) return null;
    const met = rows.every((r) => (ratio(r) ?? 0) >= limit);
    const list = rows.map((r) => `${where(r)} x${x(ratio(r))}: ${sides(r)}`).join('; ');
    return [met, `${list} (limit x${limit})`];
  });
}

const mixText = (mix: SteadyMix) => (mix === 'all' ? 'all four at once' : 'each alone');

export function steadyTargets(rows: SteadyComparisonRow[] | null): TargetResult[] {
  const out: TargetResult[] = [];
  const faithfulAll = rowsOf(rows, {
    aio: 'faithful',
    mix: 'all',
    lanes: ['randread', 'randwrite', 'seqread', 'seqwrite'],
  });
  // Issue 5's target, kept on the path it was set for, whatever the sizes and depth.
  const faithful = (rows ?? []).filter((r) => r.aio === 'faithful' && r.mix === 'all');
  out.push(
    ratioTarget(
      'steady-vs-ceiling',
      'faithful steady throughput at least 0.8x the ceiling, every operation, all four at once',
      faithful,
      (r) => r.ratio.iops,
      0.8,
      (r) => `${emuText(r)}; ${ceilText('ceiling', r.ceiling)}`,
    ),
  );
  for (const mix of STEADY_MIXES) {
    const random = rowsOf(rows, {
      aio: 'batched',
      mix,
      lanes: ['randread', 'randwrite'],
    });
    out.push(
      ratioTarget(
        `random-vs-ceiling-${mix}`,
        `batched randread and randwrite 4k, iodepth 32, ${mixText(mix)}: at least 2x the ceiling`,
        random,
        (r) => r.ratio.iops,
        2,
        (r) => `${emuText(r)}; ${ceilText('ceiling', r.ceiling)}`,
      ),
      ratioTarget(
        `random-vs-ceiling-batched-${mix}`,
        `batched randread and randwrite 4k, iodepth 32, ${mixText(mix)}: at least 0.8x ` +
          'ceiling-batched',
        random,
        (r) => r.ratioBatched.iops,
        0.8,
        (r) => `${emuText(r)}; ${ceilText('ceiling-batched', r.ceilingBatched)}`,
      ),
      ratioTarget(
        `sequential-vs-ceiling-${mix}`,
        `batched seqread and seqwrite 32k, iodepth 32, ${mixText(mix)}: at least 2x the ceiling`,
        rowsOf(rows, { aio: 'batched', mix, lanes: ['seqread', 'seqwrite'] }),
        (r) => r.ratio.iops,
        2,
        (r) => `${emuText(r)}; ${ceilText('ceiling', r.ceiling)}`,
      ),
    );
  }
  const cached = rowsOf(rows, { aio: 'cached', lanes: ['randwrite'] });
  out.push(
    ratioTarget(
      'cached-flush-vs-ceiling',
      'page cache: randwrite 4k, iodepth 32, a flush every 1000 writes, at least 10x the ' +
        "ceiling's randwrite",
      cached.filter((r) => r.flushEvery === 1000),
      (r) => r.ratio.iops,
      10,
      (r) => `${emuText(r)}; ${ceilText('ceiling', r.ceiling)}`,
    ),
  );
  out.push(
    target(
      'faithful-vs-today',
      `faithful steady, 4 vCPUs x iodepth 32 all four at once, every operation at least 0.9x ` +
        `today's ${TODAY_STEADY_IOPS.min}-${TODAY_STEADY_IOPS.max} IOPS (main branch)`,
      () => {
        if (faithfulAll.length === 0) return null;
        const limit = 0.9 * TODAY_STEADY_IOPS.min;
        const met = faithfulAll.every((r) => r.emulator.iops >= limit);
        const list = faithfulAll
          .map(
            (r) =>
              `${r.policy} ${r.lane} ${n0(r.emulator.iops)} IOPS (ceiling ` +
              `${r.ceiling ? n0(r.ceiling.iops) : '–'}, x${x(r.ratio.iops)})`,
          )
          .join(', ');
        return [met, `${list} (limit ${n0(limit)} IOPS)`];
      },
    ),
    ratioTarget(
      'faithful-vs-today-ratio',
      `faithful steady, all four at once, every operation's IOPS over the ceiling of the same ` +
        `run at least 0.9x today's ${TODAY_STEADY_VS_CEILING.min}-${TODAY_STEADY_VS_CEILING.max}`,
      faithfulAll,
      (r) => r.ratio.iops,
      Number((0.9 * TODAY_STEADY_VS_CEILING.min).toFixed(2)),
      (r) => `${n0(r.emulator.iops)} vs ${ceilText('ceiling', r.ceiling)}`,
    ),
  );
  return out;
}
