// The page is cross-origin isolated, a worker attaches to shared memory, and a bottom half
// scheduled from a worker runs on the main thread — and the page says so. With the headers no
// service worker is involved; without them and with no service worker to supply them, the page
// says exactly what is missing (e2e/static-host.spec.ts: a service worker that can).

import { expect, test, type Page } from '@playwright/test';

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

/** The preview server's responses without COOP/COEP, as a plain static host sends them. */
async function withoutIsolationHeaders(page: Page): Promise<void> {
  await page.route('**/*', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
}

test('with the headers, the page registers no service worker and loads once', async ({ page }) => {
  await page.goto('/');
  await page.waitForFunction(() => 'webaio' in window);
  await expect(page.getByRole('status', { name: 'machine status' })).toContainText('running');
  const r = await page.evaluate(async () => ({
    isolated: crossOriginIsolated,
    navigation: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).type,
    registrations: (await navigator.serviceWorker.getRegistrations()).map((x) => x.scope),
    controlled: navigator.serviceWorker.controller !== null,
  }));
  expect(r).toEqual({
    isolated: true,
    navigation: 'navigate',
    registrations: [],
    controlled: false,
  });
  await expect(page.getByRole('note', { name: 'isolation' })).toHaveCount(0);
});

test('without COOP/COEP and without service workers the page says what is missing', async ({
  page,
}) => {
  // As in a browser whose private windows have no service workers.
  await page.addInitScript(() => {
    delete (Navigator.prototype as { serviceWorker?: unknown }).serviceWorker;
  });
  await withoutIsolationHeaders(page);
  await page.goto('/');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('WebAIO cannot run here');
  await expect(alert).toContainText('crossOriginIsolated is false');
  await expect(alert).toContainText('Cross-Origin-Embedder-Policy: require-corp');
  await expect(alert).toContainText(
    'This host sends no isolation headers, and service workers are not available here',
  );
  expect(await page.evaluate(() => 'webaio' in window)).toBe(false);
});

test('without COOP/COEP, a service worker that cannot be installed is named, and nothing reloads', async ({
  page,
  context,
}) => {
  await context.route('**/coi-serviceworker.js', (route) =>
    route.fulfill({ status: 404, body: 'not here' }),
  );
  await withoutIsolationHeaders(page);
  await page.goto('/');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('crossOriginIsolated is false');
  await expect(alert).toContainText(
    /the service worker that would supply them \(\/coi-serviceworker\.js\) could not be installed: .*404/,
  );
  const r = await page.evaluate(() => ({
    navigation: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).type,
    webaio: 'webaio' in window,
  }));
  expect(r).toEqual({ navigation: 'navigate', webaio: false });
});
