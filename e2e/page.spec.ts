// The demo page: it boots a machine on the default disk and its counters move; the controls
// change it; a bad URL parameter gets a message, not a blank page.

import { expect, test } from './fixtures.ts';

test('the default page boots a machine on the default disk and its counters move', async ({
  page,
}) => {
  test.setTimeout(60_000);
  await page.goto('/');
  const status = page.getByRole('status', { name: 'machine status' });
  await expect(status).toContainText(
    '4 vCPUs on image "default", policy bh, max 64 threads, AIO batched — running',
  );
  const completed = page.getByRole('table', { name: 'disk' }).locator('[data-stat="ops"]');
  await expect.poll(async () => Number(await completed.textContent())).toBeGreaterThan(0);
  const first = Number(await completed.textContent());
  await expect.poll(async () => Number(await completed.textContent())).toBeGreaterThan(first);
  const spawned = page
    .getByRole('table', { name: 'pool counters' })
    .locator('[data-counter="spawned"]');
  await expect.poll(async () => Number(await spawned.textContent())).toBeGreaterThan(0);
  await expect(page.getByRole('table', { name: 'vCPUs' }).locator('tbody tr')).toHaveCount(4);
  await expect(
    page.getByRole('table', { name: 'disk' }).locator('[data-stat="verify-errors"]'),
  ).toHaveText('0');
  expect(await page.evaluate(() => window.webaio.machine?.vcpus.length)).toBe(4);
  const images = await page.evaluate(() => window.webaio.images.list());
  expect(images.map((i) => [i.name, i.virtualSize])).toContainEqual(['default', 64 << 20]);

  // Stop, then change the pool at run time from the controls.
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByRole('button', { name: 'Start' })).toBeVisible();
  await expect(
    page.getByRole('table', { name: 'vCPUs' }).locator('[data-state="stopped"]'),
  ).toHaveCount(4);
  await page.getByLabel('Max threads').fill('4');
  await page.getByLabel('Policy').selectOption('prealloc');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(status).toContainText('Pool set to prealloc, max 4 threads; AIO batched.');
  expect(await page.evaluate(() => window.webaio.machine?.poolConfig)).toMatchObject({
    policy: 'prealloc',
    maxThreads: 4,
  });
  const disk = page.getByRole('table', { name: 'disk' });
  await expect
    .poll(async () => Number(await disk.locator('[data-stat="read-tx"]').textContent()))
    .toBeGreaterThan(1);

  // The faithful path has no page cache, chosen at open: a new machine, one request per
  // transaction from then on.
  await page.getByLabel('AIO path').selectOption('faithful');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(status).toContainText('AIO faithful');
  expect(await page.evaluate(() => window.webaio.machine?.aioConfig)).toEqual({
    batch: 1,
    merge: false,
    pageCache: false,
    pollUs: 0,
  });
  await expect(disk.locator('[data-stat="read-tx"]')).toHaveText('1.0');
  await expect(disk.locator('[data-stat="cache-hits"]')).toHaveCount(0);
});

test('URL parameters set the demo; a bad one gets a message naming it', async ({ page }) => {
  await page.goto('/?vcpus=2&policy=prealloc&maxThreads=8&autostart=0');
  const status = page.getByRole('status', { name: 'machine status' });
  await expect(status).toContainText(
    '2 vCPUs on image "default", policy prealloc, max 8 threads, AIO batched — press Start',
  );
  expect(await page.evaluate(() => window.webaio.machine?.poolConfig.maxThreads)).toBe(8);

  await page.goto('/?vcpus=99');
  await expect(page.getByRole('alert')).toContainText(
    'URL parameter vcpus="99" is not an integer in 1..16',
  );
  await expect(page.getByRole('heading', { name: 'Machine' })).toBeVisible();
  expect(await page.evaluate(() => window.webaio.machine)).toBeUndefined();

  await page.goto('/?policy=eager');
  await expect(page.getByRole('alert')).toContainText(
    'URL parameter policy="eager" is not one of inline, bh, prealloc',
  );

  await page.goto('/?aio=fast');
  await expect(page.getByRole('alert')).toContainText(
    'URL parameter aio="fast" is not one of batched, faithful',
  );
});
