// A benchmark session: the site built into a temporary directory and served by `vite preview`,
// both through Vite's JS API in this process (scripts/serve.ts, as `npm start`), and headless
// Chromium on a fresh persistent profile; everything removed again on success, on failure and
// on a signal.

import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROGRESS_PREFIX } from '../shared/progress.ts';
import { deadline } from '../../app/shared/sync/deadline.ts';
import { launchOptions } from '../../scripts/chromium.ts';
import { buildSite, previewSite } from '../../scripts/serve.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLOSE_TIMEOUT_MS = 10_000;

export const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s`;
export const log = (message: string) => process.stderr.write(`[${elapsed()}] ${message}\n`);

// ---- cleanup, also on errors and signals ----

const cleanups: { name: string; fn: () => Promise<void> | void }[] = [];
let cleaning: Promise<void> | undefined;
/** True once cleanup has begun: a failure after it is the browser closing under a scenario. */
export const stopping = () => cleaning !== undefined;

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

// ---- build and serve ----

/** Build into a directory of our own, so a dist/ that tests may be serving is left alone. */
export async function build(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'webaio-bench-dist-'));
  cleanups.push({ name: 'build', fn: () => rmSync(outDir, { recursive: true, force: true }) });
  log(`vite build --outDir ${outDir}`);
  await buildSite(outDir);
  return outDir;
}

export async function serve(outDir: string): Promise<string> {
  const server = await previewSite(outDir);
  cleanups.push({ name: 'vite preview', fn: () => server.close() });
  log(`vite preview --outDir ${outDir}: ${server.url}`);
  return server.url;
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
