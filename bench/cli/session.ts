// A benchmark session: the site built into a temporary directory, served by `vite preview`, and
// headless Chromium on a fresh persistent profile; children in process groups of their own, and
// everything removed again on success, on failure and on a signal.

import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROGRESS_PREFIX } from '../shared/progress.ts';
import { deadline } from '../../app/shared/sync/deadline.ts';
import { launchOptions } from '../../scripts/chromium.ts';
import { freePort } from '../../scripts/free-port.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_START_TIMEOUT_MS = 30_000;
const CHILD_EXIT_GRACE_MS = 3_000;
const CLOSE_TIMEOUT_MS = 10_000;

export const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s`;
export const log = (message: string) => process.stderr.write(`[${elapsed()}] ${message}\n`);

// ---- cleanup, also on errors and signals ----

const cleanups: { name: string; fn: () => Promise<void> | void }[] = [];
let cleaning: Promise<void> | undefined;
/** True once cleanup has begun: a failure after it is the browser closing under a scenario. */
export const stopping = () => cleaning !== undefined;
/** Process groups of children still running, killed synchronously if we exit before cleanup. */
const childGroups = new Set<number>();

export function cleanup(): Promise<void> {
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
export async function build(): Promise<string> {
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

export async function serve(outDir: string): Promise<string> {
  const port = freePort();
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

export interface Browser {
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

export async function openBrowser(baseURL: string): Promise<Browser> {
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
