// `npm run bench`: build into a temporary directory, serve it with `vite preview`, open the page
// in headless Chromium on a fresh persistent profile, run each scenario through
// window.webaio.bench in that one session, and report (fio-like text and tables on stdout,
// progress on stderr, everything as JSON with --json). See docs/benchmarks.md.

import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROGRESS_PREFIX } from '../shared/progress.ts';
import type { ColdBurstRun } from '../shared/cold-burst-params.ts';
import { compareSteady } from '../shared/steady-compare.ts';
import { chromeTrace } from '../../app/shared/chrome-trace.ts';
import { deadline } from '../../app/shared/deadline.ts';
import { evaluateTargets } from '../shared/targets.ts';
import { launchOptions } from '../../scripts/chromium.ts';
import { parseArgs, USAGE, UsageError, type BenchArgs, type ScenarioName } from './bench-args.ts';
import { powerCutReport, runPowerCutCampaign } from './power-cut.ts';
import { blockReport, REPORT_SCHEMA, type BenchReport } from './bench-report.ts';
import { shapeReport } from './bench-report-shape.ts';
import {
  ceilingReport,
  coldBurstReport,
  linuxReport,
  machineReport,
  steadyComparisonTable,
  steadyReport,
  targetsReport,
} from './bench-report-scenarios.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_START_TIMEOUT_MS = 30_000;
const CHILD_EXIT_GRACE_MS = 3_000;
const CLOSE_TIMEOUT_MS = 10_000;

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s`;
const log = (message: string) => process.stderr.write(`[${elapsed()}] ${message}\n`);

// ---- cleanup, also on errors and signals ----

const cleanups: { name: string; fn: () => Promise<void> | void }[] = [];
let cleaning: Promise<void> | undefined;
/** Process groups of children still running, killed synchronously if we exit before cleanup. */
const childGroups = new Set<number>();

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const { name, fn } of cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        log(`cleanup: ${name}: ${String(e)}`);
      }
    }
  })();
  return cleaning;
}

for (const [signal, status] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  // `on`, not `once`: tsx relays the terminal's SIGINT, so it arrives twice, and the second
  // must not kill us (the default action) before the cleanup has run.
  process.on(signal, () => {
    if (cleaning) return;
    log(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(status));
  });
}
process.on('exit', () => {
  for (const pgid of childGroups) killGroup(pgid, 'SIGKILL');
});

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/**
 * Run a child in the repository, in its own process group, so that it and its children can be
 * stopped as one; its output goes to our stderr, or to pipes we read.
 */
function startChild(command: string, args: string[], output: 'stderr' | 'pipe'): ChildProcess {
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    stdio: output === 'stderr' ? ['ignore', 2, 2] : ['ignore', 'pipe', 'pipe'],
  });
  const { pid } = child;
  if (pid !== undefined) {
    childGroups.add(pid);
    child.once('exit', () => childGroups.delete(pid));
  }
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  const { pid } = child;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  killGroup(pid, 'SIGTERM');
  const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), CHILD_EXIT_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

// ---- build and serve ----

/** Build into a directory of our own, so a dist/ that tests may be serving is left alone. */
async function build(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'webaio-bench-dist-'));
  cleanups.push({ name: 'build', fn: () => rmSync(outDir, { recursive: true, force: true }) });
  log(`vite build --outDir ${outDir}`);
  const args = ['vite', 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'];
  const child = startChild('npx', args, 'stderr');
  cleanups.push({ name: 'vite build', fn: () => stopChild(child) });
  const status = await new Promise<number | null>((done) => child.once('exit', done));
  if (status !== 0) throw new Error(`\`npx vite build\` exited with status ${status}`);
  return outDir;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? done(port) : fail(new Error(`no port from ${String(address)}`))));
    });
  });
}

async function serve(outDir: string): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = ['vite', 'preview', '--outDir', outDir, '--host', '127.0.0.1'];
  args.push('--port', String(port), '--strictPort');
  log(`npx ${args.join(' ')}`);
  const child = startChild('npx', args, 'pipe');
  cleanups.push({ name: 'vite preview', fn: () => stopChild(child) });
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`vite preview exited (${child.exitCode ?? child.signalCode}):\n${output}`);
    }
    try {
      const res = await fetch(`${url}/`);
      if (res.ok) return url;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `vite preview did not answer on ${url} in ${SERVER_START_TIMEOUT_MS} ms:\n${output}`,
  );
}

// ---- the browser ----

interface Browser {
  context: BrowserContext;
  page: Page;
  executable: string;
  version: string | undefined;
  userAgent: string;
}

function chromiumVersion(executable: string): string | undefined {
  try {
    // Debian's `chromium` is a shell wrapper that may complain on stderr; the answer is on stdout.
    const out = execFileSync(executable, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    });
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}

async function openBrowser(baseURL: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'webaio-bench-profile-'));
  cleanups.push({ name: 'profile', fn: () => rmSync(profile, { recursive: true, force: true }) });
  const options = launchOptions();
  const executable = options.executablePath ?? chromium.executablePath();
  log(`chromium ${executable}, fresh persistent profile ${profile}`);
  // We handle the signals ourselves, so the preview server is stopped too.
  const context = await chromium.launchPersistentContext(profile, {
    ...options,
    headless: true,
    baseURL,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  cleanups.push({
    name: 'chromium',
    fn: () => deadline(context.close(), CLOSE_TIMEOUT_MS, 'close()'),
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (msg) => {
    const text = msg.text();
    if (text.startsWith(PROGRESS_PREFIX)) log(text.slice(PROGRESS_PREFIX.length));
    else if (msg.type() === 'error' || msg.type() === 'warning') log(`page ${msg.type()}: ${text}`);
  });
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  await page.goto('/?boot=0');
  await page.waitForFunction(() => 'webaio' in window && 'bench' in window.webaio);
  const userAgent = await page.evaluate(() => navigator.userAgent);
  return { context, page, executable, version: chromiumVersion(executable), userAgent };
}

// ---- traces ----

/** One Chrome trace-event JSON file per run: cold-burst-<trial>-<kick>-<variant>.json. */
function writeTraces(dir: string, runs: readonly ColdBurstRun[]): void {
  mkdirSync(dir, { recursive: true });
  for (const run of runs) {
    if (!run.trace) continue;
    const file = join(resolve(dir), `cold-burst-${run.trial}-${run.kick}-${run.variant}.json`);
    writeFileSync(file, JSON.stringify(chromeTrace([run.trace])));
    const t = run.trace;
    log(
      `trace ${file}: ${t.slices.length} vCPU slices, ${t.bhRuns.length} BH runs, ` +
        `${t.requests.length} requests, ${t.spawns.length} workers, ${t.pool.length} pool events` +
        (t.dropped ? `, ${t.dropped} dropped` : ''),
    );
  }
}

// ---- main ----

function commandLine(argv: readonly string[]): string {
  const args = argv.map((a) => (/^[\w.,=/:-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  if (process.env.npm_lifecycle_event === 'bench')
    return `npm run bench${args ? ` -- ${args}` : ''}`;
  return `npx tsx bench/cli/bench.ts${args ? ` ${args}` : ''}`;
}

/** Run one scenario in the page, print its report, and keep its result. */
async function runScenario(
  page: Page,
  baseURL: string,
  scenario: ScenarioName,
  args: BenchArgs,
  report: BenchReport,
) {
  const p = args.params;
  const out = (text: string) => process.stdout.write(`${text}\n\n`);
  switch (scenario) {
    case 'cold-burst': {
      const r = await page.evaluate((q) => window.webaio.bench.coldBurst(q), p.coldBurst);
      if (args.trace) writeTraces(args.trace, r.runs);
      // The traces went to their own files; the report keeps the figures.
      for (const run of r.runs) run.trace = null;
      report.results.coldBurst = r;
      out(coldBurstReport(r));
      for (const run of r.runs) {
        if (run.error) report.errors.push({ scenario, message: `${run.variant}: ${run.error}` });
      }
      break;
    }
    case 'ceiling': {
      const r = await page.evaluate((q) => window.webaio.bench.ceiling(q), p.ceiling);
      report.results.ceiling = r;
      out(ceilingReport(r));
      break;
    }
    case 'ceiling-batched': {
      const q = p.ceilingBatched;
      const r = await page.evaluate((q) => window.webaio.bench.ceilingBatched(q), q);
      report.results.ceilingBatched = r;
      out(ceilingReport(r));
      break;
    }
    case 'steady': {
      const r = await page.evaluate((q) => window.webaio.bench.steady(q), p.steady);
      report.results.steady = r;
      out(steadyReport(r));
      break;
    }
    case 'machine': {
      const r = await page.evaluate((q) => window.webaio.bench.machine(q), p.machine);
      report.results.machine = r;
      out(machineReport(r));
      break;
    }
    case 'block': {
      const r = await page.evaluate((q) => window.webaio.bench.block(q), p.block);
      report.results.block = r;
      out(blockReport(r));
      break;
    }
    case 'shape': {
      const r = await page.evaluate((q) => window.webaio.bench.shape(q), p.shape);
      report.results.shape = r;
      out(shapeReport(r));
      break;
    }
    case 'linux': {
      const r = await page.evaluate((q) => window.webaio.bench.linux(q), p.linux);
      report.results.linux = r;
      out(linuxReport(r));
      for (const run of r.runs) {
        if (run.error) {
          report.errors.push({ scenario, message: `${run.variant} #${run.trial}: ${run.error}` });
        }
      }
      break;
    }
    case 'power-cut': {
      // Browsers of its own, on profiles of its own, against the same server.
      const r = await runPowerCutCampaign(baseURL, p.powerCut, log);
      report.results.powerCut = r;
      out(powerCutReport(r));
      break;
    }
  }
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
  for (const scenario of args.scenarios) {
    log(`scenario ${scenario}`);
    try {
      await runScenario(browser.page, baseURL, scenario, args, report);
    } catch (e) {
      // After a signal, the failure is the browser closing under a scenario: stop here.
      if (cleaning) throw e;
      const message = e instanceof Error ? e.message : String(e);
      log(`scenario ${scenario} failed: ${message}`);
      report.errors.push({ scenario, message });
    }
  }
  const { steady, ceiling, ceilingBatched, coldBurst, block, linux } = report.results;
  if (steady && (ceiling || ceilingBatched)) {
    report.comparison.steadyVsCeiling = compareSteady(steady, ceiling, ceilingBatched);
    process.stdout.write(`${steadyComparisonTable(report.comparison.steadyVsCeiling)}\n\n`);
  }
  report.targets = evaluateTargets(coldBurst, report.comparison.steadyVsCeiling, block, linux);
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
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    return (await run(args, argv)) ? 0 : 1;
  } catch (e) {
    // After a signal, the failure is the browser closing under a scenario: nothing to report.
    if (!cleaning) log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  } finally {
    await cleanup();
  }
}

// Exit at once: nothing is left to wait for, and an idle keep-alive socket must not hold us.
process.exit(await main());
