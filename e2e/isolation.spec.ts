// The page is cross-origin isolated, a worker attaches to shared memory, and a bottom half
// scheduled from a worker runs on the main thread — and the page says so.

import { expect, test } from '@playwright/test';

test('the page is cross-origin isolated', async ({ page }) => {
  await page.goto('/');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await expect(page.getByRole('heading', { name: 'WebAIO', level: 1 })).toBeVisible();
});

test('a worker attaches and its bottom half runs on the main thread', async ({ page }) => {
  await page.goto('/');
  const status = page.getByRole('status', { name: 'browser check' });
  await expect(status).toContainText('The probe bottom half ran 200 times on the main thread');
  await expect(status).toHaveAttribute('data-bh-runs', '200');

  const r = await page.evaluate(() => window.webaio.selftest(50));
  expect(r.attached.thread).toBe('selftest-0');
  expect(r.bhRuns).toBe(50);
  expect(r.pings).toBe(50);
  expect(r.wakeUs.count).toBe(50);
});

test('without COOP/COEP the page says why it cannot run', async ({ page }) => {
  await page.route('**/*', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
  await page.goto('/');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('WebAIO cannot run here');
  await expect(alert).toContainText('crossOriginIsolated is false');
  await expect(alert).toContainText('Cross-Origin-Embedder-Policy: require-corp');
  expect(await page.evaluate(() => 'webaio' in window)).toBe(false);
});
