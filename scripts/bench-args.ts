// `npm run bench`'s command line, parsed strictly: an unknown flag or a bad value is a UsageError
// naming it, which the script prints before it exits with status 2.

import {
  checkBlockParams,
  checkBs,
  checkIodepth,
  checkOp,
  checkRuntimeMs,
  WARMUP_MS_MAX,
  type BlockBenchParams,
} from '../app/bench/block-params.ts';

export const SCENARIOS = ['block'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchArgs {
  scenarios: ScenarioName[];
  /** What the scenarios get; a flag not given leaves the scenario's default. */
  params: Partial<BlockBenchParams>;
  json: string | undefined;
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

  --scenario LIST   scenarios to run, comma-separated (${SCENARIOS.join(', ')}; default: all)
  --runtime MS      timed part of each side of each case, ms (default 3000)
  --warmup MS       untimed warm-up before it, ms (default 1000)
  --bs LIST         request sizes, e.g. 4096,32k (powers of two, 512 to 1m; default 4k,32k)
  --iodepth LIST    requests in flight, e.g. 1,32 (1 to 256; default 1,32)
  --op LIST         read, write or both (default read,write)
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

/** Run a value through the scenario's own check, and name the flag if it refuses it. */
function checked<T>(flag: string, text: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const message = (e as Error).message.replace(/^bench block: /, '');
    throw new UsageError(`${flag} ${text}: ${message}`);
  }
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const out: BenchArgs = {
    scenarios: [...SCENARIOS],
    params: {},
    json: undefined,
    build: true,
    help: false,
  };
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
      case '--scenario': {
        const text = value();
        out.scenarios = [
          ...new Set(
            listOf(flag, text).map((s) => {
              if (!SCENARIOS.includes(s as ScenarioName)) {
                throw new UsageError(`${flag}: "${s}" is not one of ${SCENARIOS.join(', ')}`);
              }
              return s as ScenarioName;
            }),
          ),
        ];
        break;
      }
      case '--runtime': {
        const text = value();
        const ms = parseInteger(flag, text);
        out.params.runtimeMs = checked(flag, text, () => checkRuntimeMs(ms));
        break;
      }
      case '--warmup': {
        const text = value();
        const ms = parseInteger(flag, text);
        if (ms > WARMUP_MS_MAX) throw new UsageError(`${flag} ${text}: above ${WARMUP_MS_MAX} ms`);
        out.params.warmupMs = ms;
        break;
      }
      case '--bs': {
        const text = value();
        out.params.bs = listOf(flag, text).map((s) =>
          checked(flag, s, () => checkBs(parseBytes(flag, s))),
        );
        break;
      }
      case '--iodepth': {
        const text = value();
        out.params.iodepth = listOf(flag, text).map((s) =>
          checked(flag, s, () => checkIodepth(parseInteger(flag, s))),
        );
        break;
      }
      case '--op': {
        const text = value();
        out.params.ops = listOf(flag, text).map((s) => checked(flag, s, () => checkOp(s)));
        break;
      }
      case '--json': {
        out.json = value();
        if (out.json === '') throw new UsageError(`${flag} needs a file name`);
        break;
      }
      case '--no-build':
        noValue();
        out.build = false;
        break;
      case '--help':
      case '-h':
        noValue();
        out.help = true;
        break;
      default:
        throw new UsageError(`unknown argument "${arg}" (see --help)`);
    }
  }
  // The scenario's own check of the whole set, as the page will run it.
  try {
    checkBlockParams(out.params);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return out;
}
