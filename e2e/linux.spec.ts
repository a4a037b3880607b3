// A real guest on the disk: Linux in v86 boots from a blank image (it formats it), writes files of
// known content and syncs; what sync covered is there after a reload; the exported image passes
// the host's e2fsck -fn and debugfs reads the same bytes; a second tab cannot open the disk
// (EBUSY) while the guest runs; and a failing disk reaches the guest as an I/O error, named on
// the page. The browser killed and the power cut: e2e/linux-crash.spec.ts. Each test boots Linux
// (about a minute on 2 cores); they run one at a time.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures.ts';
import {
  blankImage,
  BOOT_MS,
  expectedMd5s,
  hostTool,
  IMAGE,
  KNOWN_FILES,
  LinuxGuest,
} from './linux-guest.ts';

test('Linux: a blank image is formatted; files synced survive a reload', async ({ profile }) => {
  test.setTimeout(2 * BOOT_MS + 60_000);
  let page = await profile.open();
  await blankImage(page);
  let guest = new LinuxGuest(page);
  await guest.boot(IMAGE);
  await guest.writeKnownFiles();
  expect(await guest.md5s()).toEqual(expectedMd5s());

  // No shutdown: the page goes away under the running guest.
  await page.reload();
  await page.waitForFunction(() => 'webaio' in window);
  guest = new LinuxGuest(page);
  await guest.boot(IMAGE);
  expect(await guest.md5s()).toEqual(expectedMd5s());
});

test('Linux: the exported image passes e2fsck -fn and debugfs reads the same bytes', async ({
  profile,
}) => {
  test.setTimeout(BOOT_MS + 90_000);
  const page = await profile.open();
  // Headless Chromium has a save picker nobody can answer: the streamed download it is.
  await page.evaluate(() => {
    (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = undefined;
  });
  await blankImage(page);
  const guest = new LinuxGuest(page);
  await guest.boot(IMAGE);
  await guest.writeKnownFiles();
  const inGuest = await guest.md5s();
  await guest.shutDown();
  // The Disks panel exports only an image nobody holds: wait for its row to say so.
  const row = page.getByRole('table', { name: 'images' }).locator(`tr[data-image="${IMAGE}"]`);
  await expect(row.locator('[data-in-use]')).toHaveAttribute('data-in-use', '');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: `Export ${IMAGE}`, exact: true }).click();
  const file = await (await download).path();
  const out = mkdtempSync(join(tmpdir(), 'webaio-linux-export-'));
  try {
    // e2fsck exits 0 only when it found nothing to fix.
    const fsck = execFileSync(hostTool('e2fsck'), ['-fn', file], { encoding: 'utf8' });
    expect(fsck).toMatch(/\d+\/\d+ files .*, \d+\/\d+ blocks/);
    for (const f of KNOWN_FILES) {
      const dumped = join(out, 'dumped');
      execFileSync(
        hostTool('debugfs'),
        ['-R', `dump ${f.path.slice('/mnt'.length)} ${dumped}`, file],
        {
          stdio: 'ignore',
        },
      );
      const bytes = readFileSync(dumped);
      expect(bytes.equals(f.bytes()), `${f.path} as debugfs reads it`).toBe(true);
      expect(inGuest[f.path]).toBe(expectedMd5s()[f.path]);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('Linux: a second tab cannot open the running guest\u2019s disk; a failing disk is an I/O error', async ({
  profile,
}) => {
  test.setTimeout(BOOT_MS + 90_000);
  const page = await profile.open();
  await blankImage(page);
  const guest = new LinuxGuest(page);
  await guest.boot(IMAGE);
  await guest.writeKnownFiles();

  const other = await profile.browser.newPage();
  await other.goto('/?boot=0');
  await other.waitForFunction(() => 'webaio' in window);
  const refused = await other.evaluate(async (image) => {
    const why = (p: Promise<unknown>) =>
      p.then(
        () => 'opened',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    return {
      linux: await why(window.webaio.createLinux({ image })),
      block: await why(window.webaio.openBlock(image)),
    };
  }, IMAGE);
  expect(refused.linux).toMatch(/^EBUSY: image "linux" is in use by linux/);
  expect(refused.block).toMatch(/^EBUSY: image "linux" is in use by linux/);
  await other.close();

  // Every read fails from now on: the guest's next uncached read gets EIO, promptly (no
  // command timeout and channel reset), and the page names the failed request.
  await page.evaluate(() => window.webaio.linux?.disk?.injectError({ op: 'read', count: 1000 }));
  const r = await page.evaluate(() =>
    window.webaio.linux?.console.run(
      'echo 3 > /proc/sys/vm/drop_caches; cat /mnt/big > /dev/null',
      { timeoutMs: 120_000 },
    ),
  );
  expect(r?.status).not.toBe(0);
  expect(r?.output).toContain('I/O error');
  await expect(page.getByLabel('failed disk requests')).toContainText(
    /read of \d+ bytes at sector \d+ failed with EIO \(-5\)/,
  );
  await page.evaluate(() => window.webaio.linux?.disk?.injectError({ op: 'read', count: 0 }));
});
