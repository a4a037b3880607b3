// images.import / export / resize from the API: streams in, streams out, byte for byte; a full
// quota is refused before writing (with the figures) or, found mid-import, undone; resize of an
// overlay never lets the base show through what a shrink discarded.

import { rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures.ts';

test('import a ReadableStream of unknown size, export it: the same bytes; zeros not stored', async ({
  profile,
}) => {
  const page = await profile.open();
  const r = await page.evaluate(async () => {
    const im = window.webaio.images;
    const total = (3 << 20) + 512;
    let sent = 0;
    const src = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= total) return c.close();
        // Odd-sized pieces: the importer re-cuts them into chunks. Byte k is k % 251, but the
        // second MiB is zeros.
        const n = Math.min(100_003, total - sent);
        const piece = new Uint8Array(n);
        for (let k = 0; k < n; k++) {
          const at = sent + k;
          piece[k] = at >= 1 << 20 && at < 2 << 20 ? 0 : at % 251;
        }
        sent += n;
        c.enqueue(piece);
      },
    });
    const progress: number[] = [];
    const info = await im.import('streamed', src, {
      onProgress: (p) => progress.push(p.bytesDone),
    });
    let got = 0;
    let wrong = 0;
    const reader = im.export('streamed').getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (let k = 0; k < value.length; k++) {
        const at = got + k;
        if (value[k] !== (at >= 1 << 20 && at < 2 << 20 ? 0 : at % 251)) wrong++;
      }
      got += value.length;
    }
    return { info, got, wrong, lastProgress: progress.at(-1) };
  });
  expect(r.info).toMatchObject({ virtualSize: (3 << 20) + 512, inUse: [] });
  // 97 chunks, the 32 of the zero MiB not stored.
  expect(r.info.actualSize).toBe((97 - 32) * 32768);
  expect(r).toMatchObject({ got: (3 << 20) + 512, wrong: 0, lastProgress: (3 << 20) + 512 });
});

test('a full quota: a file bigger than it is refused before writing, with the figures; one met mid-import is undone', async ({
  profile,
}) => {
  const page = await profile.open();
  // A sparse file 1 GiB bigger than the quota (10 GiB here): nothing on disk, nothing read.
  const quota = await page.evaluate(async () => (await navigator.storage.estimate()).quota ?? 0);
  const huge = Math.ceil((quota + 2 ** 30) / 512) * 512;
  const path = join(tmpdir(), `webaio-huge-${process.pid}.img`);
  writeFileSync(path, '');
  truncateSync(path, huge);
  try {
    await page.getByLabel('Import a raw image').setInputFiles(path);
    await expect(page.getByRole('status', { name: 'disk manager status' })).toHaveText(
      new RegExp(
        `^ENOSPC: image "webaio-huge-\\d+" of ${huge} bytes does not fit: storage holds \\d+ of ${quota} bytes, \\d+ free; nothing was written$`,
      ),
    );
  } finally {
    rmSync(path, { force: true });
  }
  // navigator.storage.estimate() does not see this override, so only the writes meet it.
  const cdp = await profile.browser.newCDPSession(page);
  const origin = new URL(page.url()).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 2 << 20 });
  const r = await page.evaluate(async () => {
    const im = window.webaio.images;
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= 16 << 20) return c.close();
        sent += 1 << 20;
        c.enqueue(new Uint8Array(1 << 20).fill(3));
      },
    });
    const during = await im.import('stream', stream).then(
      () => 'ok',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    return {
      during,
      images: (await im.list()).map((i) => i.name),
      dbs: (await indexedDB.databases()).map((d) => d.name),
    };
  });
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  expect(r.during).toMatch(
    /^ENOSPC: import of "stream": the storage quota filled up after \d+ of \? bytes; the import was undone, nothing is kept$/,
  );
  expect(r.images).toEqual([]);
  expect(r.dbs).toEqual([]);
});

test('resize: grow keeps data and adds zeros; an overlay shrunk and grown shows zeros, not its base', async ({
  profile,
}) => {
  const page = await profile.open();
  const r = await page.evaluate(async () => {
    const err = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    const im = window.webaio.images;
    await im.create('ov', { backing: 'images/default-base.img' });
    const size = 32 << 20;
    // The chunk the new end will cut is in the overlay (clean) before the shrink.
    const first = await window.webaio.openBlock('ov');
    await first.pread(size / 2, 4096);
    await first.close();
    const refused = await err(im.resize('ov', size / 2));
    const shrunk = await im.resize('ov', size / 2 + 1024, { shrink: true });
    const grown = await im.resize('ov', size * 2);
    const b = await window.webaio.openBlock('ov');
    const base = new Uint8Array(
      await (await fetch('images/default-base.img', { cache: 'no-store' })).arrayBuffer(),
    );
    const kept = await b.pread(size / 2 - 4096, 5120);
    const cut = await b.pread(size / 2 + 1024, 8192);
    const far = await b.pread(size + 4096, 4096);
    const busy = await err(im.resize('ov', size));
    await b.close();
    return {
      refused,
      busy,
      shrunk: shrunk.virtualSize,
      grown: grown.virtualSize,
      keptOk: kept.every((v, k) => v === base[size / 2 - 4096 + k]),
      cutZero: cut.every((v) => v === 0),
      farZero: far.every((v) => v === 0),
      extent: grown.backing?.extent,
    };
  });
  expect(r).toEqual({
    refused:
      'EINVAL: shrinking image "ov" from 33554432 to 16777216 bytes discards the 16777216 bytes past 16777216: pass { shrink: true } to do it',
    busy: 'EBUSY: image "ov" is in use by openBlock (open in this tab or another one)',
    shrunk: (16 << 20) + 1024,
    grown: 64 << 20,
    keptOk: true,
    cutZero: true,
    farZero: true,
    extent: (16 << 20) + 1024,
  });
});

test('an import aborted mid-way deletes its image at once; one a crashed tab left is deleted by list()', async ({
  profile,
}) => {
  const page = await profile.open();
  const r = await page.evaluate(async () => {
    const abort = new AbortController();
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        sent += 1 << 20;
        if (sent === 4 << 20) abort.abort();
        c.enqueue(new Uint8Array(1 << 20).fill(5));
      },
    });
    const aborted = await window.webaio.images
      .import('cut', stream, { signal: abort.signal, size: 64 << 20 })
      .then(
        () => 'ok',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    // No list() in between: the import itself left nothing.
    const dbsAfterAbort = (await indexedDB.databases()).map((d) => d.name);
    // A tab that crashed mid-import leaves a database whose metadata still says so.
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open('webaio-image:crashed', 1);
      open.onupgradeneeded = () => {
        open.result.createObjectStore('chunks');
        open.result.createObjectStore('meta');
      };
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const tx = open.result.transaction('meta', 'readwrite');
        const meta = {
          format: 'raw',
          virtualSize: 512,
          chunkSize: 32768,
          created: 0,
          generation: 0,
        };
        tx.objectStore('meta').put({ ...meta, importing: true }, 'image');
        tx.oncomplete = () => {
          open.result.close();
          resolve();
        };
      };
    });
    const listed = (await window.webaio.images.list()).map((i) => i.name);
    return {
      aborted,
      dbsAfterAbort,
      listed,
      dbs: (await indexedDB.databases()).map((d) => d.name),
    };
  });
  expect(r.aborted).toMatch(
    /^ECANCELED: import of "cut" cancelled after \d+ of 67108864 bytes; nothing is kept$/,
  );
  expect(r.dbsAfterAbort).toEqual([]);
  expect(r.listed).toEqual([]);
  expect(r.dbs).toEqual([]);
});
