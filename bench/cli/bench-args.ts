// `npm run bench`'s command line, parsed strictly: an unknown flag or a bad value is a UsageError
// naming it, which the script prints before it exits with status 2. Each flag is mapped onto the
// parameters of the scenarios it applies to, which are then checked as the page will check them.

import {
  checkBlockParams,
  checkBs,
  checkIodepth,
  checkOp,
  checkRuntimeMs,
  type BlockBenchParams,
} from '../shared/block-params.ts';
import { WARMUP_MS_MAX } from '../shared/check.ts';
import { checkColdBurstParams, type ColdBurstParams } from '../shared/cold-burst-params.ts';
import {
  checkMachineBenchParams,
  type MachineBenchParams,
} from '../shared/machine-bench-params.ts';
import {
  checkShapeParams,
  parseLayout,
  SHAPE_PARTS,
  type ShapeParams,
  type ShapePart,
} from '../shared/shape-params.ts';
import {
  checkSteadyParams,
  STEADY_AIO_MODES,
  STEADY_MIXES,
  type SteadyAioMode,
  type SteadyMix,
  type SteadyParams,
} from '../shared/steady-params.ts';
import { POOL_POLICIES, type PoolPolicyName } from '../../app/shared/pool-config.ts';
import { CUT_PATTERNS, type CutPattern } from '../../scripts/cut-writers.ts';
import type { CutKind } from '../../scripts/power-cut.ts';
import { checkPowerCutParams, type PowerCutParams } from './power-cut.ts';
import { KICK_MODES, type KickMode } from '../../app/shared/guest-job.ts';
import { checkLinuxBenchParams, type LinuxBenchParams } from '../shared/linux-bench-params.ts';

/** Every scenario, in the order a run takes them. */
export const SCENARIOS = [
  'cold-burst',
  'ceiling',
  'ceiling-batched',
  'steady',
  'machine',
  'block',
  'shape',
  'power-cut',
  'linux',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** What `npm run bench` runs without --scenario: `block` (~90 s), `shape` (a research run of
 *  ~4 min), `power-cut` (campaigns of browser restarts, ~10 min) and `linux` (Linux boots in
 *  v86, ~1 min each, ~12 min) are opt-in. */
export const DEFAULT_SCENARIOS: readonly ScenarioName[] = [
  'cold-burst',
  'ceiling',
  'ceiling-batched',
  'steady',
  'machine',
];
/** Scenarios measured in the pool's steady state, which `inline` cannot have. */
const WARM_SCENARIOS: readonly ScenarioName[] = ['steady', 'machine'];

export interface ScenarioParams {
  coldBurst: Partial<ColdBurstParams>;
  ceiling: Partial<SteadyParams>;
  ceilingBatched: Partial<SteadyParams>;
  steady: Partial<SteadyParams>;
  machine: Partial<MachineBenchParams>;
  block: Partial<BlockBenchParams>;
  shape: Partial<ShapeParams>;
  powerCut: Partial<PowerCutParams>;
  linux: Partial<LinuxBenchParams>;
}

export interface BenchArgs {
  scenarios: ScenarioName[];
  /** What each scenario gets; a flag not given leaves the scenario's defaults. */
  params: ScenarioParams;
  json: string | undefined;
  /** Write each cold-burst run's trace (Chrome trace-event JSON) into this directory. */
  trace: string | undefined;
  build: boolean;
  help: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `usage: npm run bench -- [options]

  --scenario LIST   scenarios to run, comma-separated: ${SCENARIOS.join(', ')}
                    (default: ${DEFAULT_SCENARIOS.join(', ')}; block, shape, power-cut
                    and linux are opt-in)
  --policy LIST     pool policies: inline, bh, prealloc (default: all three for cold-burst,
                    plus inline-stop; steady and machine run under bh, never under inline)
  --vcpus N         vCPUs (cold-burst, steady, machine's burst and verify run) and plain
                    workers (ceilings) (defaults: 4; the verify run 8)
  --runtime MS      ms per measured case: the timed part of each case (steady, ceilings,
                    block, shape's cells); the light-I/O vCPUs' runtime around a burst
                    (cold-burst, machine) (default 3000; shape 1000)
  --warmup MS       untimed warm-up before each timed case (steady, ceilings, block, shape;
                    1000; shape 200)
  --iodepth LIST    requests in flight per operation, one case each (steady, ceilings: 32;
                    block: 1,32)
  --bs LIST         request sizes, e.g. 4096,32k: block, one case each (4k,32k); steady and
                    ceilings, one size for all operations or two (random, sequential; 4k,32k);
                    cold-burst and machine's burst, the first (4k)
  --mix LIST        steady and ceilings: all (the operations at once), alone (each by
                    itself), or both (default all,alone)
  --aio LIST        steady: AIO modes, ${STEADY_AIO_MODES.join(', ')} (default all three;
                    cached: random writes alone, a flush every 1000)
  --batch LIST      ceiling-batched: requests per transaction at most, one set of cases
                    each; every operation is compared with its best (default 16,32)
  --op LIST         block: read, write or both (default read,write)
  --trials N        cold-burst: runs of each policy and kick mode, interleaved, each on a
                    fresh machine; shape: runs of each cell, interleaved; figures are
                    medians with min-max (default 5; shape 3)
  --part LIST       shape: ${SHAPE_PARTS.join(', ')} (default all)
  --layout LIST     shape's mixed part: stores-K, dbs-K, buckets-K (default
                    stores-1,stores-4,stores-16,dbs-4,buckets-4)
  --cuts N          power-cut: cuts per pattern, on one profile each (default 25)
  --pattern LIST    power-cut: ${CUT_PATTERNS.join(', ')}
                    (default: all but idb-chunk-strict-parallel)
  --cut KIND        power-cut: power (the profile on lazyfs loses what was not fsynced) or
                    kill (SIGKILL to the browser) (default power)
  --boots N         linux: boots of each variant (memory, writeback, writethrough),
                    interleaved, each on a fresh blank disk; figures are medians with
                    min-max (default 3)
  --kick LIST       cold-burst: batch (one doorbell for the burst), each (one per request)
                    or both (default batch,each)
  --trace DIR       cold-burst: write every run's trace to DIR, one Chrome trace-event JSON
                    file per run (Perfetto UI, chrome://tracing)
  --json FILE       also write every figure to FILE (schema: docs/benchmarks.md)
  --no-build        serve dist/ as it is, without \`vite build\` first
  --help            this text
`;

/** A byte count: digits, optionally followed by k or m (KiB, MiB). */
function parseBytes(flag: string, text: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(text);
  if (!m) throw new UsageError(`${flag}: "${text}" is not a byte count (e.g. 4096, 4k, 1m)`);
  const unit = m[2].toLowerCase();
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1 << 20 : 1);
}

function parseInteger(flag: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag}: "${text}" is not a whole number`);
  return Number(text);
}

function listOf(flag: string, text: string): string[] {
  const items = text.split(',');
  if (items.some((s) => s === '')) throw new UsageError(`${flag}: "${text}" has an empty item`);
  return items;
}

function oneOf<T extends string>(flag: string, text: string, known: readonly T[]): T[] {
  return [
    ...new Set(
      listOf(flag, text).map((s) => {
        if (!known.includes(s as T)) {
          throw new UsageError(`${flag}: "${s}" is not one of ${known.join(', ')}`);
        }
        return s as T;
      }),
    ),
  ];
}

/** Run a value through a scenario's own check, and name the flag if it refuses it. */
function checked<T>(flag: string, text: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const message = (e as Error).message.replace(/^bench [\w-]+: /, '');
    throw new UsageError(`${flag} ${text}: ${message}`);
  }
}

interface Flags {
  scenarios?: ScenarioName[];
  policies?: PoolPolicyName[];
  vcpus?: number;
  runtimeMs?: number;
  warmupMs?: number;
  iodepth?: number[];
  bs?: number[];
  ops?: ('read' | 'write')[];
  trials?: number;
  kicks?: KickMode[];
  parts?: ShapePart[];
  layouts?: string[];
  mixes?: SteadyMix[];
  aio?: SteadyAioMode[];
  batch?: number[];
  cuts?: number;
  patterns?: CutPattern[];
  cut?: CutKind;
  boots?: number;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const f: Flags = {};
  let json: string | undefined;
  let trace: string | undefined;
  let build = true;
  let help = false;
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (seen.has(flag)) throw new UsageError(`${flag} is given twice`);
    seen.add(flag);
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new UsageError(`${flag} needs a value`);
      }
      i++;
      return next;
    };
    const noValue = () => {
      if (eq > 0) throw new UsageError(`${flag} takes no value (got "${arg.slice(eq + 1)}")`);
    };
    switch (flag) {
      case '--scenario':
        f.scenarios = oneOf(flag, value(), SCENARIOS);
        break;
      case '--policy':
        f.policies = oneOf(flag, value(), POOL_POLICIES);
        break;
      case '--vcpus': {
        const text = value();
        const n = parseInteger(flag, text);
        if (n < 1 || n > 16) throw new UsageError(`${flag} ${text}: not from 1 to 16`);
        f.vcpus = n;
        break;
      }
      case '--runtime': {
        const text = value();
        const ms = parseInteger(flag, text);
        f.runtimeMs = checked(flag, text, () => checkRuntimeMs(ms));
        break;
      }
      case '--warmup': {
        const text = value();
        const ms = parseInteger(flag, text);
        if (ms > WARMUP_MS_MAX) throw new UsageError(`${flag} ${text}: above ${WARMUP_MS_MAX} ms`);
        f.warmupMs = ms;
        break;
      }
      case '--bs': {
        const text = value();
        f.bs = listOf(flag, text).map((s) => checked(flag, s, () => checkBs(parseBytes(flag, s))));
        break;
      }
      case '--iodepth': {
        const text = value();
        f.iodepth = listOf(flag, text).map((s) =>
          checked(flag, s, () => checkIodepth(parseInteger(flag, s))),
        );
        break;
      }
      case '--op': {
        const text = value();
        f.ops = listOf(flag, text).map((s) => checked(flag, s, () => checkOp(s)));
        break;
      }
      case '--trials': {
        const text = value();
        const n = parseInteger(flag, text);
        if (n < 1 || n > 50) throw new UsageError(`${flag} ${text}: not from 1 to 50`);
        f.trials = n;
        break;
      }
      case '--kick':
        f.kicks = oneOf(flag, value(), KICK_MODES);
        break;
      case '--cuts': {
        const text = value();
        const n = parseInteger(flag, text);
        if (n < 1 || n > 1000) throw new UsageError(`${flag} ${text}: not from 1 to 1000`);
        f.cuts = n;
        break;
      }
      case '--pattern':
        f.patterns = oneOf(flag, value(), CUT_PATTERNS);
        break;
      case '--cut': {
        const [cut, ...more] = oneOf(flag, value(), ['power', 'kill'] as const);
        if (more.length) throw new UsageError(`${flag} takes one of power, kill`);
        f.cut = cut;
        break;
      }
      case '--boots': {
        const text = value();
        const n = parseInteger(flag, text);
        if (n < 1 || n > 20) throw new UsageError(`${flag} ${text}: not from 1 to 20`);
        f.boots = n;
        break;
      }
      case '--part':
        f.parts = oneOf(flag, value(), SHAPE_PARTS);
        break;
      case '--layout': {
        const text = value();
        f.layouts = listOf(flag, text).map((s) =>
          checked(flag, s, () => {
            const l = parseLayout(s);
            return `${l.kind}-${l.k}`;
          }),
        );
        break;
      }
      case '--mix':
        f.mixes = oneOf(flag, value(), STEADY_MIXES);
        break;
      case '--aio':
        f.aio = oneOf(flag, value(), STEADY_AIO_MODES);
        break;
      case '--batch':
        f.batch = listOf(flag, value()).map((s) => parseInteger(flag, s));
        break;
      case '--trace': {
        trace = value();
        if (trace === '') throw new UsageError(`${flag} needs a directory`);
        break;
      }
      case '--json': {
        json = value();
        if (json === '') throw new UsageError(`${flag} needs a file name`);
        break;
      }
      case '--no-build':
        noValue();
        build = false;
        break;
      case '--help':
      case '-h':
        noValue();
        help = true;
        break;
      default:
        throw new UsageError(`unknown argument "${arg}" (see --help)`);
    }
  }
  const scenarios = scenariosOf(f);
  const params = paramsOf(f, scenarios);
  checkAll(scenarios, params);
  if (trace !== undefined) {
    if (!scenarios.includes('cold-burst')) {
      throw new UsageError('--trace records cold-burst runs: add cold-burst to --scenario');
    }
    params.coldBurst.trace = true;
  }
  return { scenarios, params, json, trace, build, help };
}

/** Policies steady and machine may run under: those asked for, without inline. */
const warmPolicies = (f: Flags) => f.policies?.filter((p) => p !== 'inline');

function scenariosOf(f: Flags): ScenarioName[] {
  const warm = warmPolicies(f);
  if (!f.scenarios) {
    // Without bh or prealloc asked for, the steady-state scenarios have nothing to run.
    return DEFAULT_SCENARIOS.filter((s) => !(warm?.length === 0 && WARM_SCENARIOS.includes(s)));
  }
  for (const s of f.scenarios) {
    if (warm?.length === 0 && WARM_SCENARIOS.includes(s)) {
      throw new UsageError(
        `--scenario ${s} needs bh or prealloc in --policy (it is measured with a warm pool, ` +
          'which inline cannot keep across a vCPU restart)',
      );
    }
  }
  return f.scenarios;
}

function paramsOf(f: Flags, scenarios: readonly ScenarioName[]): ScenarioParams {
  const p: ScenarioParams = {
    coldBurst: {},
    ceiling: {},
    ceilingBatched: {},
    steady: {},
    machine: {},
    block: {},
    shape: {},
    powerCut: {},
    linux: {},
  };
  const steadyLike = [p.steady, p.ceiling, p.ceilingBatched];
  const warm = warmPolicies(f);
  if (f.policies) p.coldBurst.policies = f.policies;
  if (warm?.length) {
    p.steady.policies = warm;
    p.machine.policies = warm;
    p.machine.verifyPolicy = warm[0];
  }
  if (f.vcpus !== undefined) {
    p.coldBurst.vcpus = f.vcpus;
    for (const s of steadyLike) s.vcpus = f.vcpus;
    p.machine.vcpus = f.vcpus;
    p.machine.burstVcpus = f.vcpus;
  }
  if (f.runtimeMs !== undefined) {
    for (const s of [p.coldBurst, ...steadyLike, p.machine, p.block, p.shape]) {
      s.runtimeMs = f.runtimeMs;
    }
  }
  if (f.warmupMs !== undefined) {
    for (const s of [...steadyLike, p.block, p.shape]) s.warmupMs = f.warmupMs;
  }
  if (f.iodepth) {
    for (const s of steadyLike) s.iodepth = f.iodepth;
    p.block.iodepth = f.iodepth;
  }
  if (f.bs) {
    p.block.bs = f.bs;
    p.coldBurst.bs = f.bs[0];
    p.machine.bs = f.bs[0];
    if (f.bs.length > 2 && scenarios.some((s) => s === 'steady' || s.startsWith('ceiling'))) {
      throw new UsageError(
        `--bs ${f.bs.join(',')}: steady and ceiling take one size or two (random, sequential)`,
      );
    }
    for (const s of steadyLike) {
      s.randomBs = f.bs[0];
      s.sequentialBs = f.bs[1] ?? f.bs[0];
    }
  }
  if (f.ops) p.block.ops = f.ops;
  if (f.trials !== undefined) {
    p.coldBurst.trials = f.trials;
    p.shape.trials = f.trials;
  }
  if (f.kicks) p.coldBurst.kicks = f.kicks;
  if ((f.parts || f.layouts) && !scenarios.includes('shape')) {
    throw new UsageError(`${f.parts ? '--part' : '--layout'} is shape's: add shape to --scenario`);
  }
  if (f.parts) p.shape.parts = f.parts;
  if (f.layouts) p.shape.layouts = f.layouts;
  if (f.mixes) for (const s of steadyLike) s.mixes = f.mixes;
  if (f.aio) p.steady.aio = f.aio;
  if (f.batch) p.ceilingBatched.batch = f.batch;
  if ((f.cuts ?? f.patterns ?? f.cut) !== undefined && !scenarios.includes('power-cut')) {
    throw new UsageError(
      "--cuts, --pattern and --cut are power-cut's: add power-cut to --scenario",
    );
  }
  if (f.cuts !== undefined) p.powerCut.cuts = f.cuts;
  if (f.patterns) p.powerCut.patterns = f.patterns;
  if (f.cut) p.powerCut.cut = f.cut;
  if (f.boots !== undefined) {
    if (!scenarios.includes('linux')) {
      throw new UsageError("--boots is linux's: add linux to --scenario");
    }
    p.linux.boots = f.boots;
  }
  return p;
}

/** Each selected scenario's own check of its whole parameter set, as the page will run it. */
function checkAll(scenarios: readonly ScenarioName[], p: ScenarioParams): void {
  const checks: Record<ScenarioName, () => unknown> = {
    'cold-burst': () => checkColdBurstParams(p.coldBurst),
    ceiling: () => checkSteadyParams(p.ceiling, 'ceiling'),
    'ceiling-batched': () => checkSteadyParams(p.ceilingBatched, 'ceiling-batched'),
    steady: () => checkSteadyParams(p.steady, 'steady'),
    machine: () => checkMachineBenchParams(p.machine),
    block: () => checkBlockParams(p.block),
    shape: () => checkShapeParams(p.shape),
    'power-cut': () => checkPowerCutParams(p.powerCut),
    linux: () => checkLinuxBenchParams(p.linux),
  };
  for (const s of scenarios) {
    try {
      checks[s]();
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
}
