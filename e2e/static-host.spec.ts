// `npm run build`'s dist/ on a static host that sends no COOP/COEP (GitHub Pages and the like):
// the page registers coi-serviceworker's worker, reloads once, and is then cross-origin
// isolated and works — a machine boots, a pool serves a write and a read, an export downloads
// through the download worker. Once installed, the next visit needs no reload, and "Show me"
// answers there. Built with a
// project site's base (/webaio/), the same holds under that path.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';
import { BrowserProfile } from '../scripts/browser-profile.ts';
import { expect, test } from './fixtures.ts';
import { staticHost } from '../scripts/static-host.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const LOADS_KEY = 'e2e-page-loads';

/** Runs in every page before its scripts: counts this tab's top-level loads (reloads too). It
 *  is sent to the page as source, so it names LOADS_KEY's value itself. */
function countLoads(): void {
  if (window.top !== window) return;
  sessionStorage.setItem(
    'e2e-page-loads',
    String(Number(sessionStorage.getItem('e2e-page-loads') ?? 0) + 1),
  );
}

const loads = (page: Page) => page.evaluate((k) => Number(sessionStorage.getItem(k)), LOADS_KEY);

/** A fresh persistent profile on `origin`, closed and deleted by `use`'s end. */
async function withProfile(origin: string, use: (p: BrowserProfile) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'webaio-profile-'));
  const profile = new BrowserProfile(dir, origin, countLoads);
  try {
    await use(profile);
  } finally {
    await profile.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Write a pattern to a fresh image, export it with the Disks panel's button (the streamed
 *  download through public/download-sw.js), and return the download's URL and bytes. */
async function exportThroughDownloadWorker(page: Page, name: string) {
  await page.evaluate(async (image) => {
    // Headless Chromium has a save picker nobody can answer: take the download path.
    (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = undefined;
    await window.webaio.images.create(image, 1 << 20);
    const b = await window.webaio.openBlock(image);
    await b.pwrite(8192, new Uint8Array(12288).fill(0xa7));
    await b.close();
  }, name);
  // The panel redraws its list on a timer: its row must show the image closed, or Export
  // refuses with EBUSY (the row still has it open by openBlock).
  const row = page.getByRole('table', { name: 'images' }).locator(`tr[data-image="${name}"]`);
  await expect(row.locator('[data-in-use]')).toHaveAttribute('data-in-use', '');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: `Export ${name}` }).click();
  const d = await download;
  const path = await d.path();
  return { url: d.url(), bytes: readFileSync(path) };
}

function expectedExport(): Buffer {
  const b = Buffer.alloc(1 << 20);
  b.fill(0xa7, 8192, 8192 + 12288);
  return b;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('dist/ on a static host without COOP/COEP: one reload into isolation, then it all works', async () => {
  test.setTimeout(180_000);
  if (!existsSync(join(DIST, 'index.html'))) {
    throw new Error(`${DIST} has no build: run \`npx vite build\` (npm run test:e2e does)`);
  }
  const host = await staticHost(DIST);
  try {
    // The premise: this host sends no isolation headers.
    const headers = (await fetch(`${host.origin}/`)).headers;
    expect(headers.get('cross-origin-opener-policy')).toBeNull();
    expect(headers.get('cross-origin-embedder-policy')).toBeNull();

    await withProfile(host.origin, async (profile) => {
      const page = await profile.open('/');
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await loads(page)).toBe(2);
      await expect(page.getByRole('note', { name: 'isolation' })).toHaveText(
        'This host sends no isolation headers; a service worker supplies them — the page ' +
          'reloaded once for that.',
      );
      await expect(page.getByRole('status', { name: 'machine status' })).toContainText(
        '4 vCPUs on image "default", policy bh, max 64 threads, AIO batched — running',
      );
      const ops = page.getByRole('table', { name: 'disk' }).locator('[data-stat="ops"]');
      await expect.poll(async () => Number(await ops.textContent())).toBeGreaterThan(0);

      const r = await page.evaluate(async () => {
        await window.webaio.images.create('static', 1 << 20);
        const b = await window.webaio.openBlock('static', { pool: { maxThreads: 4 } });
        try {
          await b.pwrite(512, new Uint8Array(1024).fill(0x3c));
          const back = await b.pread(0, 2048);
          return {
            before: back.subarray(0, 512).every((v) => v === 0),
            written: back.subarray(512, 1536).every((v) => v === 0x3c),
            after: back.subarray(1536).every((v) => v === 0),
            spawned: b.stats().pool.spawned,
          };
        } finally {
          await b.close();
        }
      });
      expect(r).toMatchObject({ before: true, written: true, after: true });
      expect(r.spawned).toBeGreaterThan(0);

      const out = await exportThroughDownloadWorker(page, 'exported');
      expect(out.url).toMatch(new RegExp(`^${host.origin}/__webaio-download/`));
      expect(sha256(out.bytes)).toBe(sha256(expectedExport()));

      // The worker stays installed: the next visit is isolated on its first load.
      const again = await profile.relaunch('/?boot=0');
      expect(await again.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await loads(again)).toBe(1);
      await expect(again.getByRole('note', { name: 'isolation' })).toHaveText(
        'This host sends no isolation headers; a service worker supplies them (it made the ' +
          'page reload once, on your first visit).',
      );

      // The lesson works there too: Show me answers, and a second trial refines it.
      await again.getByRole('button', { name: 'Show me' }).click();
      await expect(again.locator('.headline')).toContainText('One trial of each so far.', {
        timeout: 60_000,
      });
      await again.getByRole('button', { name: 'Stop refining' }).click();
      await expect(again.locator('.lesson-status')).toContainText('Done: 2 trials', {
        timeout: 60_000,
      });
      await expect(again.locator('.headline')).toContainText(
        /held the big lock for [\d.]+ ms .* Medians of 2 trials each/,
      );
    });
  } finally {
    await host.close();
  }
});

test('built with --base /webaio/ and hosted there: the workers and their scopes follow the base', async () => {
  test.setTimeout(180_000);
  const out = mkdtempSync(join(tmpdir(), 'webaio-base-'));
  try {
    await promisify(execFile)(
      'npx',
      [
        'vite',
        'build',
        '--base',
        '/webaio/',
        '--outDir',
        out,
        '--emptyOutDir',
        '--logLevel',
        'warn',
      ],
      { cwd: ROOT },
    );
    const host = await staticHost(out, '/webaio/');
    try {
      await withProfile(host.origin, async (profile) => {
        const page = await profile.open('/webaio/?boot=0');
        expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
        expect(await loads(page)).toBe(2);
        const exported = await exportThroughDownloadWorker(page, 'based');
        expect(exported.url).toMatch(new RegExp(`^${host.origin}/webaio/__webaio-download/`));
        expect(sha256(exported.bytes)).toBe(sha256(expectedExport()));
        const scopes = await page.evaluate(async () =>
          (await navigator.serviceWorker.getRegistrations()).map((r) => [
            new URL(r.scope).pathname,
            new URL(r.active?.scriptURL ?? 'about:blank').pathname,
          ]),
        );
        expect(scopes.sort()).toEqual([
          ['/webaio/', '/webaio/coi-serviceworker.js'],
          ['/webaio/__webaio-download/', '/webaio/download-sw.js'],
        ]);
      });
    } finally {
      await host.close();
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
