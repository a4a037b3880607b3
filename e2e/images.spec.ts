// The image API: create, info, list, delete, with errors that name the values; one writer per
// image across tabs; metadata from storage is checked before use.

import { expect, test } from './fixtures.ts';

test('create, info, list and delete', async ({ app }) => {
  const r = await app.evaluate(async () => {
    const im = window.webaio.images;
    const a = await im.create('alpha', 2 << 20);
    const b = await im.create('beta', 512, { chunkSize: 4096 });
    const list = await im.list();
    await im.delete('alpha');
    const after = await im.list();
    return { a, b, names: list.map((i) => i.name), after: after.map((i) => i.name) };
  });
  expect(r.a).toMatchObject({
    name: 'alpha',
    format: 'raw',
    virtualSize: 2 << 20,
    actualSize: 0,
    chunkSize: 32768,
  });
  expect(r.b).toMatchObject({ virtualSize: 512, chunkSize: 4096 });
  expect(r.names).toEqual(['alpha', 'beta']);
  expect(r.after).toEqual(['beta']);
});

test('bad names, sizes and chunk sizes are refused with the value', async ({ app }) => {
  const r = await app.evaluate(async () => {
    const im = window.webaio.images;
    const err = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    await im.create('dup', 1 << 20);
    return [
      await err(im.create('dup', 1 << 20)),
      await err(im.create('', 1 << 20)),
      await err(im.create('a/b', 1 << 20)),
      await err(im.create('odd', 1000)),
      await err(im.create('zero', 0)),
      await err(im.create('chunky', 1 << 20, { chunkSize: 65536 })),
      await err(im.create('chunky', 1 << 20, { chunkSize: 12288 })),
      await err(im.info('missing')),
      await err(im.delete('missing')),
      await err(window.webaio.openBlock('missing')),
    ];
  });
  expect(r).toEqual([
    'EEXIST: image "dup" already exists',
    'EINVAL: image name "" is not 1-64 letters, digits, ".", "_" or "-" starting with a letter or digit',
    'EINVAL: image name "a/b" is not 1-64 letters, digits, ".", "_" or "-" starting with a letter or digit',
    'EINVAL: image size 1000 is not a positive multiple of 512 bytes up to 1099511627776',
    'EINVAL: image size 0 is not a positive multiple of 512 bytes up to 1099511627776',
    'EINVAL: chunk size 65536 is not a power of two from 4096 to 32768',
    'EINVAL: chunk size 12288 is not a power of two from 4096 to 32768',
    'ENOENT: image "missing" does not exist',
    'ENOENT: image "missing" does not exist',
    'ENOENT: image "missing" does not exist',
  ]);
});

test('one writer: a second open, here or in another tab, is EBUSY; delete waits for close', async ({
  app,
  context,
}) => {
  await app.evaluate(async () => {
    await window.webaio.images.create('shared', 1 << 20);
    const b = await window.webaio.openBlock('shared');
    (window as unknown as { held: typeof b }).held = b;
  });
  const err = (p: typeof app) =>
    p.evaluate(() =>
      window.webaio.openBlock('shared').then(
        () => 'opened',
        (e: Error) => `${e.name}: ${e.message}`,
      ),
    );
  expect(await err(app)).toBe(
    'EBUSY: image "shared" is in use by openBlock (open in this tab or another one)',
  );
  const other = await context.newPage();
  await other.goto('/?boot=0');
  await other.waitForFunction(() => 'webaio' in window);
  expect(await err(other)).toMatch(/^EBUSY/);
  expect(
    await other.evaluate(() =>
      window.webaio.images.delete('shared').then(
        () => 'deleted',
        (e: Error) => e.name,
      ),
    ),
  ).toBe('EBUSY');
  await app.evaluate(() =>
    (window as unknown as { held: { close(): Promise<void> } }).held.close(),
  );
  expect(await err(other)).toBe('opened');
});

test('metadata from storage is checked: a corrupt record gives EIO naming the field', async ({
  app,
}) => {
  const r = await app.evaluate(async () => {
    await window.webaio.images.create('corrupt', 1 << 20);
    // Damage the metadata record behind the API's back, as another program might.
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open('webaio-image:corrupt');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const tx = open.result.transaction('meta', 'readwrite');
        tx.objectStore('meta').put(
          { format: 'raw', virtualSize: 1000, chunkSize: 4096, created: 0, generation: 0 },
          'image',
        );
        tx.oncomplete = () => {
          open.result.close();
          resolve();
        };
      };
    });
    const opened = await window.webaio.openBlock('corrupt').then(
      () => 'opened',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    // The list still answers, with the reason, and the image can be deleted.
    const listed = (await window.webaio.images.list()).map((i) => [i.name, i.error]);
    await window.webaio.images.delete('corrupt');
    return { opened, listed, after: (await window.webaio.images.list()).length };
  });
  const why =
    'EIO: image "corrupt" has unreadable metadata: image size 1000 is not a positive multiple of 512 bytes up to 1099511627776';
  expect(r).toEqual({ opened: why, listed: [['corrupt', why]], after: 0 });
});
