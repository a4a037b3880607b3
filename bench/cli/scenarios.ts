// The benchmark's scenarios, a row each: its name on the command line, the flags it takes and
// where each lands in its parameters, how it runs (in the page through window.webaio.bench, or in
// Node), what it prints, and the targets judged on it. bench.ts runs the rows asked for in order.

import type { Page } from '@playwright/test';
import { checkColdBurstParams } from '../shared/cold-burst-params.ts';
import { checkLinuxBenchParams } from '../shared/linux-bench-params.ts';
import { checkMachineBenchParams } from '../shared/machine-bench-params.ts';
import { checkSteadyParams, type SteadyParams } from '../shared/steady-params.ts';
import { steadyTargets } from '../shared/steady-targets.ts';
import { coldBurstTargets, linuxTargets, type TargetResult } from '../shared/targets.ts';
import type { PoolPolicyName } from '../../app/shared/pool/pool-config.ts';
import type { Bench } from '../page/index.ts';
import type { FlagName, FlagValues } from './args.ts';
import {
  checkPowerCutParams,
  powerCutReport,
  runPowerCutCampaign,
  type PowerCutCampaign,
  type PowerCutParams,
} from './power-cut.ts';
import type { BenchReport } from './report.ts';
import {
  ceilingReport,
  coldBurstReport,
  linuxReport,
  machineReport,
  steadyReport,
} from './report-scenarios.ts';
import { writeTraces } from './traces.ts';

/**
 * Each scenario's parameters (those a caller may give) and result, by its key in the JSON report:
 * window.webaio.bench's methods (bench/page/index.ts), and power-cut, which runs in Node.
 */
type Params = { [K in keyof Bench]: NonNullable<Parameters<Bench[K]>[0]> } & {
  powerCut: Partial<PowerCutParams>;
};
/** `results` in the JSON report. */
export type Results = { [K in keyof Bench]: Awaited<ReturnType<Bench[K]>> } & {
  powerCut: PowerCutCampaign;
};

type Key = keyof Params;
export type ScenarioName =
  'cold-burst' | 'ceiling' | 'ceiling-batched' | 'steady' | 'machine' | 'power-cut' | 'linux';
/** What the command line gave each scenario (the page fills in the rest: results[].params). */
export type ScenarioParams = { [K in Key]: Partial<Params[K]> };

export interface RunContext {
  page: Page;
  baseURL: string;
  /** --trace's directory. */
  trace: string | undefined;
  log(message: string): void;
}

/** What the targets are judged on: the results, and steady's comparison with the ceilings. */
type Judged = Pick<BenchReport, 'results' | 'comparison'>;

/** Where each flag a scenario takes lands in its parameters. */
type FlagMap<P> = {
  [F in FlagName]?: (p: Partial<P>, value: NonNullable<FlagValues[F]>) => void;
};

interface Scenario<K extends Key> {
  name: ScenarioName;
  key: K;
  /** Left out of a run without --scenario (it is long, or needs more than a browser). */
  optIn?: true;
  /** Measured with a warm pool, which inline cannot keep across a vCPU restart. */
  warm?: true;
  flags: FlagMap<Params[K]>;
  check(p: Partial<Params[K]>): unknown;
  run(ctx: RunContext, p: Partial<Params[K]>): Promise<Results[K]>;
  report(r: Results[K]): string;
  /** Variants that failed while the scenario finished. */
  errors?(r: Results[K]): string[];
  /** Judged on every run, "not measured" when the scenario did not run. */
  targets?(report: Judged): TargetResult[];
}

/** A row of the table, its parameter and result types checked, then erased. */
export interface ScenarioRow {
  name: ScenarioName;
  key: Key;
  optIn?: true;
  warm?: true;
  flags: FlagMap<never>;
  params(f: FlagValues): object;
  check(p: object): unknown;
  /** Run, keep the result in the report, and return what to print. */
  run(ctx: RunContext, p: object, report: BenchReport): Promise<string>;
  targets?(report: Judged): TargetResult[];
}

function row<K extends Key>(s: Scenario<K>): ScenarioRow {
  return {
    name: s.name,
    key: s.key,
    optIn: s.optIn,
    warm: s.warm,
    targets: s.targets,
    flags: s.flags as FlagMap<never>,
    params(f) {
      const p: Partial<Params[K]> = {};
      for (const [name, apply] of Object.entries(s.flags)) {
        const value = f[name as FlagName];
        if (value !== undefined) (apply as (p: object, v: unknown) => void)(p, value);
      }
      return p;
    },
    check: (p) => s.check(p as Partial<Params[K]>),
    async run(ctx, p, report) {
      const r = await s.run(ctx, p as Partial<Params[K]>);
      (report.results as Partial<Results>)[s.key] = r;
      for (const message of s.errors?.(r) ?? []) report.errors.push({ scenario: s.name, message });
      return s.report(r);
    },
  };
}

/** Run a scenario of window.webaio.bench in the page, with the parameters given. */
function inPage<K extends keyof Bench>(key: K) {
  return (ctx: RunContext, p: Partial<Params[K]>) =>
    ctx.page.evaluate(
      ({ key, p }) => (window.webaio.bench[key] as (p: unknown) => Promise<unknown>)(p),
      { key, p },
    ) as Promise<Results[K]>;
}

/** Policies steady and machine may run under: those asked for, without inline. */
const warmOf = (policies: readonly PoolPolicyName[]) => policies.filter((p) => p !== 'inline');

/** steady and the two ceilings take the same flags. */
const STEADY_FLAGS: FlagMap<SteadyParams> = {
  vcpus: (p, v) => (p.vcpus = v),
  runtime: (p, v) => (p.runtimeMs = v),
  warmup: (p, v) => (p.warmupMs = v),
  iodepth: (p, v) => (p.iodepth = v),
  bs: (p, v) => {
    if (v.length > 2) {
      throw new Error(
        `--bs ${v.join(',')}: steady and ceiling take one size or two (random, sequential)`,
      );
    }
    p.randomBs = v[0];
    p.sequentialBs = v[1] ?? v[0];
  },
  mix: (p, v) => (p.mixes = v),
};

export const SCENARIOS: readonly ScenarioRow[] = [
  row({
    name: 'cold-burst',
    key: 'coldBurst',
    flags: {
      policy: (p, v) => (p.policies = v),
      vcpus: (p, v) => (p.vcpus = v),
      runtime: (p, v) => (p.runtimeMs = v),
      bs: (p, v) => (p.bs = v[0]),
      trials: (p, v) => (p.trials = v),
      kick: (p, v) => (p.kicks = v),
      trace: (p) => (p.trace = true),
    },
    check: checkColdBurstParams,
    run: async (ctx, p) => {
      const r = await inPage('coldBurst')(ctx, p);
      if (ctx.trace) writeTraces(ctx.trace, r.runs, ctx.log);
      // The traces went to their own files; the report keeps the figures.
      for (const run of r.runs) run.trace = null;
      return r;
    },
    report: coldBurstReport,
    errors: (r) => r.runs.flatMap((run) => (run.error ? [`${run.variant}: ${run.error}`] : [])),
    targets: (report) => coldBurstTargets(report.results.coldBurst),
  }),
  row({
    name: 'ceiling',
    key: 'ceiling',
    flags: STEADY_FLAGS,
    check: (p) => checkSteadyParams(p, 'ceiling'),
    run: inPage('ceiling'),
    report: ceilingReport,
  }),
  row({
    name: 'ceiling-batched',
    key: 'ceilingBatched',
    flags: { ...STEADY_FLAGS, batch: (p, v) => (p.batch = v) },
    check: (p) => checkSteadyParams(p, 'ceiling-batched'),
    run: inPage('ceilingBatched'),
    report: ceilingReport,
  }),
  row({
    name: 'steady',
    key: 'steady',
    warm: true,
    flags: {
      ...STEADY_FLAGS,
      policy: (p, v) => {
        if (warmOf(v).length) p.policies = warmOf(v);
      },
      aio: (p, v) => (p.aio = v),
    },
    check: (p) => checkSteadyParams(p, 'steady'),
    run: inPage('steady'),
    report: steadyReport,
    // Judged on the comparison with the ceilings, which bench.ts makes once all have run.
    targets: (report) => steadyTargets(report.comparison.steadyVsCeiling),
  }),
  row({
    name: 'machine',
    key: 'machine',
    warm: true,
    flags: {
      policy: (p, v) => {
        if (!warmOf(v).length) return;
        p.policies = warmOf(v);
        p.verifyPolicy = warmOf(v)[0];
      },
      vcpus: (p, v) => {
        p.vcpus = v;
        p.burstVcpus = v;
      },
      runtime: (p, v) => (p.runtimeMs = v),
      bs: (p, v) => (p.bs = v[0]),
    },
    check: checkMachineBenchParams,
    run: inPage('machine'),
    report: machineReport,
  }),
  row({
    name: 'power-cut',
    key: 'powerCut',
    optIn: true,
    flags: {
      cuts: (p, v) => (p.cuts = v),
      pattern: (p, v) => (p.patterns = v),
      cut: (p, v) => (p.cut = v),
    },
    check: checkPowerCutParams,
    // Browsers of its own, on profiles of its own, against the same server.
    run: (ctx, p) => runPowerCutCampaign(ctx.baseURL, p, ctx.log),
    report: powerCutReport,
  }),
  row({
    name: 'linux',
    key: 'linux',
    optIn: true,
    flags: { boots: (p, v) => (p.boots = v) },
    check: checkLinuxBenchParams,
    run: inPage('linux'),
    report: linuxReport,
    errors: (r) =>
      r.runs.flatMap((run) => (run.error ? [`${run.variant} #${run.trial}: ${run.error}`] : [])),
    targets: (report) => linuxTargets(report.results.linux),
  }),
];
