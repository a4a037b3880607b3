// `npm run bench`'s command line: every flag declared once, here, and parsed by Node's
// util.parseArgs; scenarios.ts says which scenarios take a flag and where its value lands, and
// their checks judge the values (the ranges are theirs). A bad flag or value is a UsageError
// naming it, which the script prints before it exits with status 2.

import { parseArgs as parseNodeArgs, type ParseArgsConfig } from 'node:util';
import { STEADY_AIO_MODES, STEADY_MIXES } from '../shared/steady-params.ts';
import { POOL_POLICIES } from '../../app/shared/pool/pool-config.ts';
import { KICK_MODES } from '../../app/shared/guest/guest-job.ts';
import { CUT_PATTERNS } from '../../scripts/cut-writers.ts';
import {
  SCENARIOS,
  type ScenarioName,
  type ScenarioParams,
  type ScenarioRow,
} from './scenarios.ts';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

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
  const unknown = listOf(flag, text).find((s) => !known.includes(s as T));
  if (unknown !== undefined) {
    throw new UsageError(`${flag}: "${unknown}" is not one of ${known.join(', ')}`);
  }
  return [...new Set(text.split(','))] as T[];
}

const scenarioNames = () => SCENARIOS.map((s) => s.name);

/** A flag that takes a value: what the value is (in --help), what it does, how it is read. */
const flag = <T>(meta: string, help: string, parse: (flag: string, text: string) => T) => ({
  meta,
  help,
  parse,
});

const VALUE_FLAGS = {
  // Its help names the scenarios from the table, in usage().
  scenario: flag('LIST', 'scenarios to run, comma-separated:', (f, t) =>
    oneOf<ScenarioName>(f, t, scenarioNames()),
  ),
  policy: flag(
    'LIST',
    `pool policies: ${POOL_POLICIES.join(', ')} (cold-burst: default all three, plus ` +
      'inline-stop; steady and machine run under bh, never under inline)',
    (f, t) => oneOf(f, t, POOL_POLICIES),
  ),
  vcpus: flag(
    'N',
    "vCPUs, and the ceilings' plain workers (default 4; machine's verify 8)",
    parseInteger,
  ),
  runtime: flag(
    'MS',
    'ms per measured case (steady, ceilings); the light-I/O vCPUs around a burst ' +
      '(cold-burst, machine) (default 3000)',
    parseInteger,
  ),
  warmup: flag(
    'MS',
    'untimed warm-up before each timed case (steady, ceilings; 1000)',
    parseInteger,
  ),
  iodepth: flag(
    'LIST',
    'requests in flight per operation, a case each (steady, ceilings; default 32)',
    (f, t) => listOf(f, t).map((s) => parseInteger(f, s)),
  ),
  bs: flag(
    'LIST',
    'request sizes, e.g. 4096,32k: steady and ceilings, one for all operations or two ' +
      '(random, sequential; 4k,32k); cold-burst and machine, the first (4k)',
    (f, t) => listOf(f, t).map((s) => parseBytes(f, s)),
  ),
  mix: flag(
    'LIST',
    'steady and ceilings: all (at once), alone (each by itself) (default both)',
    (f, t) => oneOf(f, t, STEADY_MIXES),
  ),
  aio: flag(
    'LIST',
    `steady: AIO modes, ${STEADY_AIO_MODES.join(', ')} (default all; cached: random writes ` +
      'alone, a flush every 1000)',
    (f, t) => oneOf(f, t, STEADY_AIO_MODES),
  ),
  batch: flag('LIST', 'ceiling-batched: requests per transaction at most (default 16,32)', (f, t) =>
    listOf(f, t).map((s) => parseInteger(f, s)),
  ),
  trials: flag(
    'N',
    'cold-burst: runs of each policy and kick mode, interleaved, each on a fresh machine; ' +
      'figures are medians with min-max (default 5)',
    parseInteger,
  ),
  kick: flag(
    'LIST',
    'cold-burst: batch (one doorbell for the burst), each (one per request)',
    (f, t) => oneOf(f, t, KICK_MODES),
  ),
  cuts: flag('N', 'power-cut: cuts per pattern, on one profile each (default 25)', parseInteger),
  pattern: flag('LIST', `power-cut: WebAIO's cache modes, ${CUT_PATTERNS.join(', ')}`, (f, t) =>
    oneOf(f, t, CUT_PATTERNS),
  ),
  cut: flag(
    'KIND',
    'power-cut: power (the profile on lazyfs loses what was not fsynced) or kill (SIGKILL to ' +
      'the browser) (default power)',
    (f, t) => {
      const kinds = oneOf(f, t, ['power', 'kill'] as const);
      if (kinds.length > 1) throw new UsageError(`${f} takes one of power, kill`);
      return kinds[0];
    },
  ),
  boots: flag(
    'N',
    'linux: boots of each disk (memory, writeback, writethrough), interleaved (default 3)',
    parseInteger,
  ),
  trace: flag(
    'DIR',
    "cold-burst: write every run's trace to DIR, a Chrome trace-event JSON file per run",
    (f, t) => t || failEmpty(f, 'a directory'),
  ),
  json: flag(
    'FILE',
    'also write every figure to FILE (BenchReport, bench/cli/report.ts)',
    (f, t) => t || failEmpty(f, 'a file name'),
  ),
};

function failEmpty(flag: string, what: string): never {
  throw new UsageError(`${flag} needs ${what}`);
}

/** Flags without a value. */
const SWITCHES = {
  'no-build': 'serve dist/ as it is, without `vite build` first',
  help: 'this text',
};

export type FlagName = keyof typeof VALUE_FLAGS;
/** Each flag given, as its parser read it. */
export type FlagValues = {
  [F in FlagName]?: ReturnType<(typeof VALUE_FLAGS)[F]['parse']>;
};
/** Flags of the run as a whole, not of a scenario. */
const RUN_FLAGS: readonly FlagName[] = ['scenario', 'json'];

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

/** Words wrapped to fit 78 columns after a 20-column margin. */
function wrapped(text: string): string {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= 58) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines.join(`\n${' '.repeat(20)}`);
}

export function usage(): string {
  const line = (name: string, help: string) => `  ${name.padEnd(18)}${wrapped(help)}`;
  const optIn = SCENARIOS.filter((s) => s.optIn).map((s) => s.name);
  const scenarios = `${scenarioNames().join(', ')} (default: all but ${optIn.join(', ')})`;
  return [
    'usage: npm run bench -- [options]',
    '',
    ...Object.entries(VALUE_FLAGS).map(([name, f]) =>
      line(`--${name} ${f.meta}`, name === 'scenario' ? `${f.help} ${scenarios}` : f.help),
    ),
    ...Object.entries(SWITCHES).map(([name, help]) => line(`--${name}`, help)),
    '',
  ].join('\n');
}

/** util.parseArgs's option table, from the declarations above. */
const OPTIONS = {
  ...Object.fromEntries(Object.keys(VALUE_FLAGS).map((name) => [name, { type: 'string' }])),
  'no-build': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** util.parseArgs's refusals, reworded to name the flag as the rest of the script does. */
function tokensOf(argv: readonly string[]) {
  try {
    return parseNodeArgs({ args: [...argv], options: OPTIONS, strict: true, tokens: true }).tokens;
  } catch (e) {
    const code = (e as { code?: string }).code;
    const message = (e as Error).message;
    const flag = /'(-[-\w]*)/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw new UsageError(`unknown argument "${flag}" (see --help)`);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError(`unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (message.includes('ambiguous')) {
        // The next argument starts with a dash: a flag, or a value that must be given with `=`.
        const next = argv[argv.indexOf(flag) + 1];
        throw new UsageError(
          `${flag} needs a value ("${next}" looks like a flag; ${flag}=${next} if it is the value)`,
        );
      }
      if (!message.includes('does not take an argument')) {
        throw new UsageError(`${flag} needs a value`);
      }
      const given = argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
      throw new UsageError(`${flag} takes no value (got "${given ?? ''}")`);
    }
    throw e;
  }
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const f: FlagValues = {};
  const given = new Set<string>();
  let build = true;
  let help = false;
  for (const t of tokensOf(argv)) {
    if (t.kind !== 'option') continue;
    const token: { name: string; rawName: string; value?: string } = t;
    if (given.has(token.name)) throw new UsageError(`${token.rawName} is given twice`);
    given.add(token.name);
    if (token.name === 'no-build') build = false;
    else if (token.name === 'help') help = true;
    else {
      const name = token.name as FlagName;
      const parsed = VALUE_FLAGS[name].parse(`--${name}`, token.value ?? '');
      (f as Record<FlagName, unknown>)[name] = parsed;
    }
  }
  const rows = scenariosOf(f);
  for (const name of Object.keys(f) as FlagName[]) {
    if (RUN_FLAGS.includes(name) || rows.some((s) => name in s.flags)) continue;
    const takers = SCENARIOS.filter((s) => name in s.flags).map((s) => s.name);
    throw new UsageError(
      `--${name} is ${takers.map((t) => `${t}'s`).join(', ')}: add ` +
        `${takers.length > 1 ? 'one of them' : takers[0]} to --scenario`,
    );
  }
  const params = Object.fromEntries(
    SCENARIOS.map((s) => [s.key, rows.includes(s) ? checkedParams(s, f) : {}]),
  ) as ScenarioParams;
  return { scenarios: rows.map((s) => s.name), params, json: f.json, trace: f.trace, build, help };
}

/** A scenario's parameters from the flags, checked whole as the page will check them. */
function checkedParams(s: ScenarioRow, f: FlagValues): object {
  try {
    const p = s.params(f);
    s.check(p);
    return p;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // A check names its scenario ("bench steady: ..."); the script prints "bench: " itself.
    throw new UsageError((e as Error).message.replace(/^bench /, ''));
  }
}

/** The scenarios asked for, or the default ones; those measured warm need a policy but inline. */
function scenariosOf(f: FlagValues): ScenarioRow[] {
  const coldOnly = f.policy !== undefined && f.policy.every((p) => p === 'inline');
  if (!f.scenario) return SCENARIOS.filter((s) => !s.optIn && !(coldOnly && s.warm));
  // In the order asked for.
  const rows = f.scenario.flatMap((name) => SCENARIOS.filter((s) => s.name === name));
  const warm = rows.find((s) => s.warm);
  if (coldOnly && warm) {
    throw new UsageError(
      `--scenario ${warm.name} needs bh or prealloc in --policy (it is measured with a warm ` +
        'pool, which inline cannot keep across a vCPU restart)',
    );
  }
  return rows;
}
