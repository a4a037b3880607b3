// What the guest's sync covered survives the browser killed (SIGKILL to every process) right
// after sync returns, and a power cut (the profile on lazyfs, whose unsynced data the cut throws
// away) right after sync returns: Linux boots again on the image, and its files' md5sums are the
// ones the host computes. Each test boots Linux twice (about a minute each on 2 cores).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserProfile } from '../scripts/browser-profile.ts';
import { LazyFs, lazyfsMissing } from '../scripts/lazyfs.ts';
import { expect, test } from './fixtures.ts';
import { blankImage, BOOT_MS, expectedMd5s, IMAGE, LinuxGuest } from './linux-guest.ts';

// No Playwright trace: these browsers are killed on purpose (see e2e/power-cut.spec.ts).
test.use({ trace: 'off' });

test('Linux: files synced survive the browser killed right after sync returns', async ({
  profile,
}) => {
  test.setTimeout(2 * BOOT_MS + 60_000);
  let page = await profile.open();
  await blankImage(page);
  await new LinuxGuest(page).boot(IMAGE);
  await new LinuxGuest(page).writeKnownFiles();
  await profile.kill();

  page = await profile.open();
  const guest = new LinuxGuest(page);
  await guest.boot(IMAGE);
  expect(await guest.md5s()).toEqual(expectedMd5s());
});

test('Linux: files synced survive a power cut right after sync returns (lazyfs)', async ({
  baseURL,
}) => {
  expect(lazyfsMissing(), 'lazyfs needs python3-llfuse and fuse3 (.ci/run installs them)').toBe(
    undefined,
  );
  test.setTimeout(2 * BOOT_MS + 90_000);
  const dir = mkdtempSync(join(tmpdir(), 'webaio-linux-power-'));
  const fs = new LazyFs(dir);
  const profile = new BrowserProfile(join(fs.mountpoint, 'profile'), baseURL ?? '');
  try {
    await fs.start();
    let page = await profile.open();
    await blankImage(page);
    await new LinuxGuest(page).boot(IMAGE);
    await new LinuxGuest(page).writeKnownFiles();
    // The power goes: what was not fsynced is lost; then the browser's processes die.
    await fs.cut();
    await profile.kill();

    await fs.start();
    page = await profile.open();
    const guest = new LinuxGuest(page);
    await guest.boot(IMAGE);
    expect(await guest.md5s()).toEqual(expectedMd5s());
  } finally {
    await profile.kill().catch(() => undefined);
    await fs.cut().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});
