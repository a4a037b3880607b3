// `npm run figures:disks`: the disk manager's closing figures, on this machine, in one run —
// import and export of a 256 MiB raw image (time, MB/s, the page's peak JS heap), the export
// checked by qemu-img when it is installed, and the bytes fetched by two read-verify passes over
// an overlay of the default base (the second must fetch nothing). Builds and serves the site
// (scripts/serve.ts), drives a persistent Chromium profile, cleans up.

import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchOptions } from './chromium.ts';
import { buildSite, previewSite, type SiteServer } from './serve.ts';

const MIB = 2 ** 20;
const SIZE = Number(process.env.WEBAIO_FIGURES_MIB ?? 256) * MIB;

/** A raw image that is not sparse-friendly: every 4 KiB page has data, one MiB in 8 is zeros. */
function makeImage(path: string): void {
  const buf = Buffer.alloc(SIZE);
  for (let at = 0; at < SIZE; at += 4096) {
    if (Math.floor(at / MIB) % 8 === 7) continue;
    buf.writeUInt32LE(at / 4096, at);
    buf.fill((at / 4096) & 0xff, at + 4, at + 4096);
  }
  writeFileSync(path, buf);
}

const sha256File = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });

/** Sample the page's JS heap (performance.memory, precise with the flag below) until stopped.
 *  Strings, not closures: tsx would wrap a closure's inner functions in a helper the page lacks. */
const startHeapWatch = (page: Page): Promise<number> =>
  page.evaluate(`(() => {
    const used = () => performance.memory.usedJSHeapSize;
    window.heapPeak = used();
    window.heapTimer = setInterval(() => (window.heapPeak = Math.max(window.heapPeak, used())), 20);
    return window.heapPeak;
  })()`);
const stopHeapWatch = (page: Page): Promise<number> =>
  page.evaluate(`(() => {
    clearInterval(window.heapTimer);
    return window.heapPeak;
  })()`);

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'webaio-figures-'));
  const outDir = join(work, 'dist');
  console.log(`build: vite build --outDir ${outDir}`);
  let server: SiteServer | undefined;
  let context: BrowserContext | undefined;
  try {
    await buildSite(outDir);
    server = await previewSite(outDir);
    const opts = launchOptions();
    context = await chromium.launchPersistentContext(join(work, 'profile'), {
      ...opts,
      args: [...opts.args, '--enable-precise-memory-info'],
      baseURL: server.url,
      acceptDownloads: true,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto('/?boot=0');
    await page.waitForFunction(() => 'webaio' in window);
    const file = join(work, 'image.raw');
    makeImage(file);
    const sum = await sha256File(file);
    console.log(`image: ${SIZE / MIB} MiB raw, sha256 ${sum.slice(0, 16)}…`);

    // Import: the page's file input, then images.import of that File.
    await page.getByLabel('Import a raw image').evaluate((el) => {
      // Keep the panel from importing it itself: only this script's call should.
      el.replaceWith(Object.assign(document.createElement('input'), { type: 'file', id: 'fig' }));
    });
    await page.locator('#fig').setInputFiles(file);
    const heap0 = await startHeapWatch(page);
    const imp = await page.evaluate(async () => {
      const input = document.getElementById('fig') as HTMLInputElement;
      const f = input.files?.[0];
      if (!f) throw new Error('no file');
      const t0 = performance.now();
      const info = await window.webaio.images.import('fig', f);
      return { ms: performance.now() - t0, stored: info.actualSize };
    });
    const impPeak = await stopHeapWatch(page);
    console.log(
      `import: ${(imp.ms / 1000).toFixed(2)} s, ${mb(SIZE / (imp.ms / 1000))} MB/s, ` +
        `${mb(imp.stored)} MB stored; page JS heap ${mb(heap0)} MB before, peak ${mb(impPeak)} MB`,
    );

    // Export read through the API into a sink (what any consumer gets).
    const heap1 = await startHeapWatch(page);
    const exp = await page.evaluate(async () => {
      const t0 = performance.now();
      const reader = window.webaio.images.export('fig').getReader();
      let n = 0;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        n += value.length;
      }
      return { ms: performance.now() - t0, n };
    });
    const expPeak = await stopHeapWatch(page);
    console.log(
      `export (stream): ${(exp.ms / 1000).toFixed(2)} s, ${mb(exp.n / (exp.ms / 1000))} MB/s; ` +
        `page JS heap ${mb(heap1)} MB before, peak ${mb(expPeak)} MB`,
    );

    // Export as a person does: the Export button, a streamed download to a file.
    await page.goto('/?boot=0');
    await page.waitForFunction(() => 'webaio' in window);
    await page.evaluate(() => {
      (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = undefined;
    });
    const heap2 = await startHeapWatch(page);
    const t0 = Date.now();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export fig' }).click();
    const saved = await (await download).path();
    const dlMs = Date.now() - t0;
    const dlPeak = await stopHeapWatch(page);
    const same = (await sha256File(saved)) === sum;
    console.log(
      `export (download): ${(dlMs / 1000).toFixed(2)} s, ${mb(SIZE / (dlMs / 1000))} MB/s, ` +
        `sha256 ${same ? 'identical' : 'DIFFERENT'}; page JS heap ${mb(heap2)} MB before, peak ${mb(dlPeak)} MB`,
    );
    try {
      const info = execFileSync('qemu-img', ['info', '-f', 'raw', '--output=json', saved], {
        encoding: 'utf8',
      });
      const cmp = execFileSync('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', file, saved], {
        encoding: 'utf8',
      });
      // Page 0 and the eighth MiB of the image are zeros; qemu-io checks the pattern.
      const io = execFileSync(
        'qemu-io',
        ['-f', 'raw', '-r', '-c', 'read -P 0 0 4096', '-c', 'read -P 0 7340032 1048576', saved],
        { encoding: 'utf8' },
      );
      const reads = io.split('\n').filter((l) => l.startsWith('read'));
      console.log(
        `qemu-img info: virtual-size ${JSON.parse(info)['virtual-size']}; qemu-img compare: ` +
          `${cmp.trim()}; qemu-io pattern reads: ${reads.join('; ')}`,
      );
    } catch (e) {
      const err = e as Error & { stdout?: string; stderr?: string };
      console.log(
        `qemu-img/qemu-io: ${err.message.split('\n')[0]} ${err.stdout ?? ''} ${err.stderr ?? ''}`,
      );
    }

    // Two read-verify passes over an overlay of the default base.
    const passes = await page.evaluate(async () => {
      const w = window.webaio;
      await w.images.create('fig-base', { backing: 'images/default-base.img' });
      const out = [];
      for (let pass = 0; pass < 2; pass++) {
        const m = await w.createMachine({
          image: 'fig-base',
          vcpus: 2,
          jobs: { rw: 'read', bs: 65536, iodepth: 8, verify: true, seed: 20261201 },
        });
        const t0 = performance.now();
        await m.start();
        const report = await m.done();
        const b = m.stats().backing;
        await m.destroy();
        out.push({
          ms: performance.now() - t0,
          read: report.total.bytes,
          checked: report.total.verify.checked,
          errors: report.total.verify.errors,
          fetched: b?.fetched_bytes ?? -1,
          requests: b?.fetch_requests ?? -1,
        });
      }
      return out;
    });
    passes.forEach((p, i) =>
      console.log(
        `read-verify pass ${i + 1} over a 32 MiB overlay: ${mb(p.read)} MB read in ${(p.ms / 1000).toFixed(2)} s, ` +
          `${p.checked} sectors checked, ${p.errors} errors; fetched from the base ${p.fetched} bytes in ${p.requests} requests`,
      ),
    );
  } finally {
    // The server and the directory go on every path, a browser that failed to start included.
    await context?.close().catch(() => undefined);
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
