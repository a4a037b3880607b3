// The disk manager panel, as a person uses it: import a raw file through the file input, export
// it through a download (byte-identical), cancel an import (nothing left), resize with and
// without the shrink confirmation, delete refused while in use, and the list after a relaunch.

import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { seededBytes } from './range-route.ts';

const CHUNK = 32768;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Force the streamed-download path: headless Chromium has a save picker nobody can answer. */
const noSavePicker = (page: Page) =>
  page.evaluate(() => {
    (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = undefined;
  });

const row = (page: Page, name: string) =>
  page.getByRole('table', { name: 'images' }).locator(`tr[data-image="${name}"]`);

test('import a raw file through the file input, export it as a download: identical, sparse', async ({
  profile,
}) => {
  const page = await profile.open();
  await noSavePicker(page);
  // 40 chunks and 3 sectors; chunks 8..23 all zero, so they must not be stored.
  const bytes = seededBytes(40 * CHUNK + 1536, 11);
  bytes.fill(0, 8 * CHUNK, 24 * CHUNK);
  await page.getByLabel('Import a raw image').setInputFiles({
    name: 'my disk.img',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from(bytes),
  });
  const status = page.getByRole('status', { name: 'disk manager status' });
  await expect(status).toContainText('Imported "my disk.img" as "my-disk"');
  const info = await page.evaluate(() => window.webaio.images.info('my-disk'));
  expect(info).toMatchObject({ virtualSize: bytes.length, inUse: [] });
  // 41 chunks in all (the last one partial), 16 of them zeros.
  expect(info.actualSize).toBe((41 - 16) * CHUNK);
  await expect(row(page, 'my-disk')).toContainText('800.0 KiB');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export my-disk' }).click();
  const file = await (await download).path();
  expect(sha256(readFileSync(file))).toBe(sha256(bytes));
  await expect(status).toContainText('Exported "my-disk"');
});

test('cancel mid-import leaves no image; a name taken or a ragged file is refused', async ({
  profile,
}) => {
  test.setTimeout(90_000);
  const page = await profile.open();
  const path = join(tmpdir(), `webaio-big-${process.pid}.img`);
  writeFileSync(path, Buffer.alloc(256 << 20, 1));
  try {
    await page.getByLabel('Import a raw image').setInputFiles(path);
    const bar = page.getByRole('progressbar', { name: /import of "webaio-big-\d+" progress/ });
    await expect.poll(async () => Number(await bar.getAttribute('value'))).toBeGreaterThan(0);
    await page.getByRole('button', { name: /Cancel import/ }).click();
    const status = page.getByRole('status', { name: 'disk manager status' });
    await expect(status).toContainText(
      /ECANCELED: import of "webaio-big-\d+" cancelled after \d+ of 268435456 bytes; nothing is kept/,
    );
  } finally {
    rmSync(path, { force: true });
  }
  const left = await page.evaluate(async () => ({
    images: (await window.webaio.images.list()).map((i) => i.name),
    dbs: (await indexedDB.databases()).map((d) => d.name),
  }));
  expect(left).toEqual({ images: [], dbs: [] });

  await page.evaluate(() => window.webaio.images.create('taken', 1 << 20));
  await page.getByLabel('Import a raw image').setInputFiles({
    name: 'taken.img',
    mimeType: 'application/octet-stream',
    buffer: Buffer.alloc(4096, 2),
  });
  const status = page.getByRole('status', { name: 'disk manager status' });
  await expect(status).toHaveText('EEXIST: image "taken" already exists; nothing was imported');
  await page.getByLabel('Import a raw image').setInputFiles({
    name: 'ragged.img',
    mimeType: 'application/octet-stream',
    buffer: Buffer.alloc(1000, 2),
  });
  await expect(status).toHaveText(
    'EINVAL: import of "ragged": file "ragged.img" is 1000 bytes, not a positive multiple of 512 (a raw disk image is whole sectors); nothing was written',
  );
});

test('create with units, resize (shrink needs its confirmation), delete refused while in use, the list after a relaunch', async ({
  profile,
}) => {
  let page = await profile.open();
  await page.getByLabel('Name').fill('grow');
  await page.getByLabel('Size').fill('1');
  await page.getByLabel('Unit').selectOption('MiB');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(row(page, 'grow')).toContainText('1.0 MiB');
  await page.evaluate(async () => {
    const b = await window.webaio.openBlock('grow');
    await b.pwrite(0, new Uint8Array(1 << 20).fill(9));
    await b.close();
  });
  const status = page.getByRole('status', { name: 'disk manager status' });

  // Shrink without the box ticked: refused, nothing changes; with it: done.
  await page.getByRole('button', { name: 'Resize grow' }).click();
  const dialog = page.getByRole('dialog', { name: 'Resize grow' });
  await dialog.getByRole('textbox', { name: 'New size' }).fill('0.5');
  await dialog.getByRole('button', { name: 'Resize' }).click();
  await expect(dialog.getByRole('alert')).toContainText(
    'tick "Shrink" to discard the 512.0 KiB past it',
  );
  await dialog.getByLabel(/Shrink: discard everything past the new size/).check();
  await dialog.getByRole('button', { name: 'Resize' }).press('Enter');
  await expect(status).toHaveText('Resized "grow" to 512.0 KiB.');
  // Grow back: what the shrink discarded reads as zeros.
  await page.getByRole('button', { name: 'Resize grow' }).click();
  await dialog.getByRole('textbox', { name: 'New size' }).fill('1');
  await dialog.getByRole('button', { name: 'Resize' }).click();
  await expect(status).toHaveText('Resized "grow" to 1.0 MiB.');
  const data = await page.evaluate(async () => {
    const b = await window.webaio.openBlock('grow');
    const head = await b.pread(0, 512 << 10);
    const tail = await b.pread(512 << 10, 512 << 10);
    (window as unknown as { held: typeof b }).held = b;
    return { head: head.every((v) => v === 9), tail: tail.every((v) => v === 0) };
  });
  expect(data).toEqual({ head: true, tail: true });

  // In use: the row says by what, and Delete is refused with the reason.
  await expect(row(page, 'grow').locator('[data-in-use]')).toHaveText('openBlock');
  await page.getByRole('button', { name: 'Delete grow' }).click();
  await expect(status).toHaveText(
    'EBUSY: image "grow" is in use by openBlock: it cannot be deleted now',
  );
  await page.evaluate(() =>
    (window as unknown as { held: { close(): Promise<void> } }).held.close(),
  );
  await expect(row(page, 'grow').locator('[data-in-use]')).toHaveText('no');
  await page.evaluate(() => window.webaio.images.create('keep', 64 << 10, { chunkSize: 4096 }));
  await page.getByRole('button', { name: 'Delete grow' }).click();
  const ask = page.getByRole('dialog', { name: 'Delete grow?' });
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(row(page, 'grow')).toHaveCount(1);
  await page.getByRole('button', { name: 'Delete grow' }).click();
  await ask.getByRole('button', { name: 'Delete' }).click();
  await expect(status).toHaveText('Deleted "grow".');

  page = await profile.relaunch();
  const list = page.getByRole('table', { name: 'images' });
  await expect(list.locator('tbody tr')).toHaveCount(1);
  await expect(row(page, 'keep')).toContainText('64.0 KiB');
  await expect(row(page, 'keep')).toContainText('4.0 KiB');
});
