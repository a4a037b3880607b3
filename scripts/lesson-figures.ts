// `npm run figures:lesson`: what a newcomer waits for, on this machine — from the page's load
// to the "Show me" headline, and to the end of the default comparison (every trial of each
// policy) — on `npm start` and on the static build served with no isolation headers, each in a
// fresh persistent profile at 1280×800. Medians over the runs with the spread; failed runs are
// counted, never hidden. `--load` runs a CPU-bound process beside it. Timings are figures to
// read, not pass/fail: nothing here asserts a duration.
//
//   npm run figures:lesson -- [--runs 3] [--hosts start,static] [--load]

import { chromium } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spreadOf } from '../app/shared/stats/spread.ts';
import { launchOptions } from './chromium.ts';
import { npmStart } from './npm-start.ts';
import { staticHost } from './static-host.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOSTS = ['start', 'static'] as const;
type Host = (typeof HOSTS)[number];
/** A run that never answers is a hang, not a slow machine: it is counted as failed. */
const HANG_MS = 300_000;

interface Run {
  host: Host;
  /** s from navigation to the headline, and to the comparison's end; null: it failed. */
  headlineS: number | null;
  doneS: number | null;
  error: string | null;
}

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    hosts: { type: 'string', default: HOSTS.join(',') },
    load: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
  throw new Error(`--runs ${values.runs} is not an integer in 1..50`);
}
const hosts = values.hosts.split(',').map((h) => {
  if (!HOSTS.includes(h as Host))
    throw new Error(`--hosts: ${h} is not one of ${HOSTS.join(', ')}`);
  return h as Host;
});

/** One newcomer: a fresh profile opens `url`, presses Show me, waits for the answer and the end. */
async function once(host: Host, url: string): Promise<Run> {
  const consoleErrors: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'webaio-lesson-'));
  const context = await chromium.launchPersistentContext(dir, {
    ...launchOptions(),
    viewport: { width: 1280, height: 800 },
  });
  const closeOnStop = () => void context.close();
  stopping.signal.addEventListener('abort', closeOnStop);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    // A failed run says why in the browser's console (the storage error behind an EIO, say).
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text().split('\n')[0] ?? '');
    });
    const t0 = Date.now();
    await page.goto(url);
    await page.getByRole('button', { name: 'Show me' }).click({ timeout: HANG_MS });
    const status = page.locator('.lesson-status');
    const failed = status.filter({ hasText: 'The comparison failed' });
    const answered = page.locator('.headline').filter({ hasText: 'Before the patch' });
    const first = await Promise.race([
      answered.waitFor({ timeout: HANG_MS }).then(() => 'answered' as const),
      failed.waitFor({ timeout: HANG_MS }).then(() => 'failed' as const),
    ]);
    const headlineS = (Date.now() - t0) / 1000;
    if (first === 'failed') {
      return { host, headlineS: null, doneS: null, error: await status.textContent() };
    }
    const end = await Promise.race([
      status
        .filter({ hasText: 'Done:' })
        .waitFor({ timeout: HANG_MS })
        .then(() => 'done' as const),
      failed.waitFor({ timeout: HANG_MS }).then(() => 'failed' as const),
    ]);
    const doneS = (Date.now() - t0) / 1000;
    if (end === 'failed')
      return { host, headlineS, doneS: null, error: await status.textContent() };
    return { host, headlineS, doneS, error: null };
  } catch (e) {
    const shot = join(tmpdir(), `webaio-lesson-failed-${Date.now()}.png`);
    await context
      .pages()[0]
      ?.screenshot({ path: shot })
      .catch(() => undefined);
    const error = `${(e as Error).message.split('\n')[0]} (the page then: ${shot})`;
    return { host, headlineS: null, doneS: null, error };
  } finally {
    if (consoleErrors.length)
      console.log(`  console errors: ${consoleErrors.slice(0, 3).join(' | ')}`);
    stopping.signal.removeEventListener('abort', closeOnStop);
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The host's URL for as long as `use` runs; the server is stopped on every path. */
async function serving<T>(host: Host, use: (url: string) => Promise<T>): Promise<T> {
  if (host === 'start') {
    const server = npmStart(ROOT);
    try {
      return await use(await server.url);
    } finally {
      // A source file changed under a run: the page it loaded may be gone. Say so.
      const rebuilds = server.printed().match(/WebAIO: rebuilt/g)?.length ?? 0;
      if (rebuilds) console.log(`npm start rebuilt ${rebuilds} time(s) during the runs`);
      const left = await server.stop();
      if (left.length) console.warn(`npm start left processes behind (killed): ${left.join('; ')}`);
    }
  }
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  const server = await staticHost(join(ROOT, 'dist'));
  try {
    return await use(`${server.origin}/`);
  } finally {
    await server.close();
  }
}

const fmt = (xs: number[]) => {
  if (xs.length === 0) return '–';
  const s = spreadOf(xs);
  return `${s.median.toFixed(1)} s (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
};

let hog: ChildProcess | undefined;
const stopping = new AbortController();
// Ctrl-C or a supervisor's SIGTERM: stop the CPU hog here; the servers stop in their finally
// blocks, which an exception reaches but a signal's default exit would skip.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    hog?.kill('SIGKILL');
    stopping.abort(new Error(`stopped by ${signal}`));
  });
}

async function main(): Promise<void> {
  const all: Run[] = [];
  try {
    if (values.load) {
      hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
      console.log(`a CPU-bound process runs beside it (pid ${hog.pid})`);
    }
    for (const host of hosts) {
      await serving(host, async (url) => {
        for (let i = 1; i <= runs; i++) {
          stopping.signal.throwIfAborted();
          const r = await once(host, url);
          all.push(r);
          console.log(
            `${host} ${i}/${runs}: headline ${r.headlineS?.toFixed(1) ?? '–'} s, done ` +
              `${r.doneS?.toFixed(1) ?? '–'} s${r.error ? `; FAILED: ${r.error}` : ''}`,
          );
        }
      });
    }
  } finally {
    hog?.kill('SIGKILL');
  }
  console.log(`\n| host | runs | failed | load → headline | load → comparison's end |`);
  console.log('|---|--:|--:|--:|--:|');
  for (const host of hosts) {
    const mine = all.filter((r) => r.host === host);
    const ok = mine.filter((r) => !r.error);
    const failed = mine.length - ok.length;
    const headline = fmt(ok.flatMap((r) => (r.headlineS === null ? [] : [r.headlineS])));
    const done = fmt(ok.flatMap((r) => (r.doneS === null ? [] : [r.doneS])));
    console.log(`| ${host} | ${mine.length} | ${failed} | ${headline} | ${done} |`);
  }
  console.log(`\nmedian (min–max) over the runs that finished${values.load ? ', CPU loaded' : ''}`);
}

await main();
