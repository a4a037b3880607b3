// A persistent Chromium profile on a directory: launched, closed and launched again on the same
// directory (storage behaviour and persistence), or killed the hard way — SIGKILL to every
// process of the browser, found by its profile directory, as a crash or an OOM kill would end it.

import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { deadline } from '../app/shared/sync/deadline.ts';
import { launchOptions } from './chromium.ts';

/** How long Playwright may take to notice that a killed browser is gone. */
const CLOSE_SEEN_MS = 10_000;

/** Pids of the processes whose command line names this profile directory. */
function pidsOf(profileDir: string): number[] {
  try {
    const out = execFileSync('pgrep', ['-f', '--', `--user-data-dir=${profileDir}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter((pid) => pid !== process.pid);
  } catch (e) {
    // pgrep exits 1 when nothing matches; anything else (no pgrep at all) is an error, or a
    // "kill" would kill nothing.
    if ((e as { status?: number }).status === 1) return [];
    throw e;
  }
}

/**
 * A function as an init script. tsx (esbuild's keepNames) wraps inner functions in __name(),
 * which the page does not have: give it one that does nothing.
 */
const initScriptOf = (fn: () => void) => ({ content: `var __name = (f) => f;\n(${fn})();` });

export class BrowserProfile {
  readonly dir: string;
  private readonly baseURL: string;
  private readonly initScript: (() => void) | undefined;
  private context: BrowserContext | undefined;
  /** Settles once Playwright has seen the last context opened close, cleanly or killed. */
  private closed: Promise<void> = Promise.resolve();

  /** A browser on `dir` opening `baseURL`; `initScript` runs in every page before its scripts. */
  constructor(dir: string, baseURL: string, initScript?: () => void) {
    this.dir = dir;
    this.baseURL = baseURL;
    this.initScript = initScript;
  }

  /** Launch Chromium on this profile and open `path` with window.webaio ready. */
  async open(path = '/?boot=0'): Promise<Page> {
    await this.close();
    const context = await chromium.launchPersistentContext(this.dir, {
      ...launchOptions(),
      baseURL: this.baseURL,
    });
    this.context = context;
    this.closed = new Promise((r) => context.once('close', () => r()));
    if (this.initScript) await context.addInitScript(initScriptOf(this.initScript));
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(path);
    await page.waitForFunction(() => 'webaio' in window);
    return page;
  }

  /** The open browser context (after open()), e.g. for routes. */
  get browser(): BrowserContext {
    if (!this.context) throw new Error('profile is not open');
    return this.context;
  }

  /** Close the browser and launch it again on the same directory. */
  async relaunch(path?: string): Promise<Page> {
    await this.close();
    return this.open(path);
  }

  /** A clean close (or a kill, if the browser no longer answers). */
  async close(): Promise<void> {
    const context = this.context;
    this.context = undefined;
    if (!context) return;
    await context.close().catch(() => this.kill());
  }

  /**
   * SIGKILL every process of the browser, then wait until none is left and Playwright has seen
   * its context close. Until Playwright has, it counts the context as open: the test runner
   * would then stop its trace on a dead browser as the test ends, and fail the test with
   * "Target page, context or browser has been closed".
   */
  async kill(): Promise<void> {
    this.context = undefined;
    for (let round = 0; round < 100; round++) {
      const pids = pidsOf(this.dir);
      if (pids.length === 0) {
        return deadline(
          this.closed,
          CLOSE_SEEN_MS,
          `Playwright seeing the killed Chromium on ${this.dir} close`,
        );
      }
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`Chromium on ${this.dir} survives SIGKILL: ${pidsOf(this.dir)}`);
  }
}
