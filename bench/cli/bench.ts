// `npm run bench`: build into a temporary directory, serve it with `vite preview`, open the page
// in headless Chromium on a fresh persistent profile, run each scenario of scenarios.ts in that
// one session, and report (fio-like text and tables on stdout, progress on stderr, everything as
// JSON with --json). See docs/benchmarks.md.

import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { compareSteady } from '../shared/steady-compare.ts';
import { parseArgs, usage, UsageError, type BenchArgs } from './args.ts';
import { REPORT_SCHEMA, steadyComparisonTable, targetsReport, type BenchReport } from './report.ts';
import { SCENARIOS } from './scenarios.ts';
import { build, cleanup, log, openBrowser, ROOT, serve, stopping, t0 } from './session.ts';

function commandLine(argv: readonly string[]): string {
  const args = argv.map((a) => (/^[\w.,=/:-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  if (process.env.npm_lifecycle_event === 'bench')
    return `npm run bench${args ? ` -- ${args}` : ''}`;
  return `npx tsx bench/cli/bench.ts${args ? ` ${args}` : ''}`;
}

/** Runs every scenario; true if all of them (and every variant) finished without an error. */
async function run(args: BenchArgs, argv: readonly string[]): Promise<boolean> {
  const outDir = args.build ? await build() : join(ROOT, 'dist');
  const baseURL = await serve(outDir);
  const browser = await openBrowser(baseURL);
  const chromiumLine = browser.version ?? browser.userAgent;
  log(`${chromiumLine}; scenarios: ${args.scenarios.join(', ')}`);
  const report: BenchReport = {
    schema: REPORT_SCHEMA,
    startedAt: new Date(t0).toISOString(),
    wallMs: 0,
    command: commandLine(argv),
    chromium: {
      version: browser.version,
      userAgent: browser.userAgent,
      executable: browser.executable,
    },
    machine: {
      platform: platform(),
      release: release(),
      arch: arch(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memBytes: totalmem(),
      node: process.version,
    },
    scenarios: args.scenarios,
    requested: args.params,
    results: {},
    comparison: { steadyVsCeiling: null },
    targets: [],
    errors: [],
  };
  const ctx = { page: browser.page, baseURL, trace: args.trace, log };
  for (const s of args.scenarios.flatMap((name) => SCENARIOS.filter((s) => s.name === name))) {
    log(`scenario ${s.name}`);
    try {
      process.stdout.write(`${await s.run(ctx, args.params[s.key], report)}\n\n`);
    } catch (e) {
      // After a signal, the failure is the browser closing under a scenario: stop here.
      if (stopping()) throw e;
      const message = e instanceof Error ? e.message : String(e);
      log(`scenario ${s.name} failed: ${message}`);
      report.errors.push({ scenario: s.name, message });
    }
  }
  const { steady, ceiling, ceilingBatched } = report.results;
  if (steady && (ceiling || ceilingBatched)) {
    report.comparison.steadyVsCeiling = compareSteady(steady, ceiling, ceilingBatched);
    process.stdout.write(`${steadyComparisonTable(report.comparison.steadyVsCeiling)}\n\n`);
  }
  report.targets = SCENARIOS.flatMap((s) => s.targets?.(report) ?? []);
  process.stdout.write(`${targetsReport(report.targets)}\n\n`);
  report.wallMs = Date.now() - t0;
  for (const e of report.errors) process.stdout.write(`FAILED: ${e.scenario}: ${e.message}\n`);
  process.stdout.write(
    `command:  ${report.command}\n` +
      `chromium: ${chromiumLine} (${browser.userAgent})\n` +
      `machine:  ${report.machine.cpus} x ${report.machine.cpuModel}, ${report.machine.platform} ${report.machine.release}\n` +
      `wall time: ${(report.wallMs / 1000).toFixed(1)} s\n`,
  );
  if (args.json) {
    const file = resolve(args.json);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${file}`);
  }
  return report.errors.length === 0;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let args: BenchArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`bench: ${e.message}\n(npm run bench -- --help lists the options)\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(usage());
    return 0;
  }
  try {
    return (await run(args, argv)) ? 0 : 1;
  } catch (e) {
    // After a signal, the failure is the browser closing under a scenario: nothing to report.
    if (!stopping()) log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  } finally {
    await cleanup();
  }
}

// Exit at once: nothing is left to wait for, and an idle keep-alive socket must not hold us.
process.exit(await main());
