// Fixtures: `page` is Playwright's default context (storage in memory, fast); `profile` is a
// persistent Chromium profile on a fresh directory, for storage behaviour and persistence,
// which can be closed and relaunched on the same directory.

import { test as base, chromium, expect, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchOptions } from '../scripts/chromium.ts';

export class Profile {
  readonly dir: string;
  private readonly baseURL: string;
  private context: BrowserContext | undefined;

  constructor(dir: string, baseURL: string) {
    this.dir = dir;
    this.baseURL = baseURL;
  }

  /** Launch Chromium on this profile and open the page at `path`. */
  async open(path = '/?boot=0'): Promise<Page> {
    await this.close();
    this.context = await chromium.launchPersistentContext(this.dir, {
      ...launchOptions(),
      baseURL: this.baseURL,
    });
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

  async close(): Promise<void> {
    await this.context?.close();
    this.context = undefined;
  }
}

export const test = base.extend<{ profile: Profile; app: Page }>({
  profile: async ({ baseURL }, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'webaio-profile-'));
    const profile = new Profile(dir, baseURL ?? '');
    await use(profile);
    await profile.close();
    rmSync(dir, { recursive: true, force: true });
  },
  /** The page with window.webaio ready and no machine booted. */
  app: async ({ page }, use) => {
    await page.goto('/?boot=0');
    await page.waitForFunction(() => 'webaio' in window);
    await use(page);
  },
});

export { expect };

/** The AIO workers the page currently runs, as Playwright sees them. */
export function aioWorkers(page: Page) {
  return page.workers().filter((w) => w.url().includes('aio-worker'));
}
