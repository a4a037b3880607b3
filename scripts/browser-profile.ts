// A persistent Chromium profile on a directory: launched, closed and launched again on the same
// directory (storage behaviour and persistence), or killed the hard way — SIGKILL to every
// process of the browser, found by its profile directory, as a crash or an OOM kill would end it.

import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { launchOptions } from './chromium.ts';

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

  /** A browser on `dir` opening `baseURL`; `initScript` runs in every page before its scripts. */
  constructor(dir: string, baseURL: string, initScript?: () => void) {
    this.dir = dir;
    this.baseURL = baseURL;
    this.initScript = initScript;
  }

  /** Launch Chromium on this profile and open `path` with window.webaio ready. */
  async open(path = '/?boot=0'): Promise<Page> {
    await this.close();
    this.context = await chromium.launchPersistentContext(this.dir, {
      ...launchOptions(),
      baseURL: this.baseURL,
    });
    if (this.initScript) await this.context.addInitScript(initScriptOf(this.initScript));
    const page = this.context.pages()[0] ?? (await this.context.newPage());
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

  /** SIGKILL every process of the browser, then wait until none is left. */
  async kill(): Promise<void> {
    this.context = undefined;
    for (let round = 0; round < 100; round++) {
      const pids = pidsOf(this.dir);
      if (pids.length === 0) return;
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
