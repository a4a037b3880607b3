// `npm run bench`: build, serve dist/ with `vite preview`, open the page in headless Chromium on a
// fresh persistent profile, run each scenario through window.webaio.bench, and report (fio-like
// text on stdout, progress on stderr, everything as JSON with --json). See docs/benchmarks.md.

import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROGRESS_PREFIX } from '../app/bench/progress.ts';
import { launchOptions } from '../e2e/browser.ts';
import { parseArgs, USAGE, UsageError, type BenchArgs } from './bench-args.ts';
import { blockReport, REPORT_SCHEMA, type BenchReport } from './bench-report.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
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

async function build(): Promise<void> {
  log('vite build');
  const child = startChild('npx', ['vite', 'build'], 'stderr');
  cleanups.push({ name: 'vite build', fn: () => stopChild(child) });
  const status = await new Promise<number | null>((done) => child.once('exit', done));
  if (status !== 0) throw new Error(`\`npx vite build\` exited with status ${status}`);
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

async function serve(): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = ['vite', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'];
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
    fn: () =>
      Promise.race([
        context.close(),
        new Promise<void>((_, fail) =>
          setTimeout(
            () => fail(new Error(`close() took over ${CLOSE_TIMEOUT_MS} ms`)),
            CLOSE_TIMEOUT_MS,
          ).unref(),
        ),
      ]),
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

// ---- main ----

function commandLine(argv: readonly string[]): string {
  const args = argv.map((a) => (/^[\w.,=/:-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  if (process.env.npm_lifecycle_event === 'bench')
    return `npm run bench${args ? ` -- ${args}` : ''}`;
  return `npx tsx scripts/bench.ts${args ? ` ${args}` : ''}`;
}

async function run(args: BenchArgs, argv: readonly string[]): Promise<void> {
  if (args.build) await build();
  const baseURL = await serve();
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
    results: {},
  };
  for (const scenario of args.scenarios) {
    switch (scenario) {
      case 'block': {
        const result = await browser.page.evaluate(
          (params) => window.webaio.bench.block(params),
          args.params,
        );
        report.results.block = result;
        process.stdout.write(`${blockReport(result)}\n\n`);
        break;
      }
    }
  }
  report.wallMs = Date.now() - t0;
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
    await run(args, argv);
    return 0;
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
