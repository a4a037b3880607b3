// Fixtures: `page` is Playwright's default context (storage in memory, fast); `profile` is a
// persistent Chromium profile on a fresh directory, for storage behaviour and persistence,
// which can be closed and relaunched on the same directory.

import { test as base, expect, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserProfile } from '../scripts/browser-profile.ts';

export const test = base.extend<{ profile: BrowserProfile; app: Page }>({
  profile: async ({ baseURL }, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'webaio-profile-'));
    const profile = new BrowserProfile(dir, baseURL ?? '');
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
