// The page for keyboard and screen-reader users: an automated scan (axe-core) finds no serious
// or critical violation before and after "Show me"; live regions are short status lines; and
// keyboard focus stays where the user put it while the live figures redraw.

import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

async function seriousViolations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
}

/** Live regions hold a short line each, never a table or a list updated several times a second. */
async function liveRegions(page: Page): Promise<{ text: string; blocks: number }[]> {
  return page.locator('[aria-live], [role="status"], [role="alert"]').evaluateAll((els) =>
    els.map((e) => ({
      text: e.textContent ?? '',
      blocks: e.querySelectorAll('table, ul, ol, dl, section').length,
    })),
  );
}

test('no serious or critical violation before and after a comparison; short live regions', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/');
  await expect(page.getByRole('status', { name: 'machine status' })).toContainText('running');
  expect(await seriousViolations(page)).toEqual([]);
  await expect(page.locator('main[aria-live]')).toHaveCount(0);

  await page.getByRole('button', { name: 'Show me' }).click();
  await page.getByRole('button', { name: 'Stop refining' }).click({ timeout: 120_000 });
  await expect(page.locator('.lesson-status')).toContainText('Done:', { timeout: 120_000 });
  await page.getByText('Benchmark details').click();
  await page
    .getByRole('region', { name: 'Step through one trial' })
    .getByText('The functions that make the difference')
    .click();
  expect(await seriousViolations(page)).toEqual([]);
  for (const region of await liveRegions(page)) {
    expect(region.blocks, region.text).toBe(0);
    expect(region.text.length, region.text).toBeLessThan(400);
  }
});

test('focus stays on the button the user is on while the machine and the disks redraw', async ({
  page,
}) => {
  test.setTimeout(90_000);
  await page.goto('/');
  const status = page.getByRole('status', { name: 'machine status' });
  await expect(status).toContainText('running');
  const completed = page.getByRole('table', { name: 'disk' }).locator('[data-stat="ops"]');
  const redraws = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const before = await completed.textContent();
      await expect(completed).not.toHaveText(before ?? '');
    }
  };

  // The machine's Start/Stop: redraws do not move focus; pressing it keeps focus on it.
  const stop = page.getByRole('button', { name: 'Stop', exact: true });
  await stop.focus();
  await redraws(3);
  await expect(stop).toBeFocused();
  await page.keyboard.press('Enter');
  const start = page.getByRole('button', { name: 'Start', exact: true });
  await expect(start).toBeFocused();
  await expect(start).not.toHaveAttribute('aria-disabled', 'true');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeFocused();
  await redraws(2);
  await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeFocused();

  // The Disks table: while the demo writes, the default disk's "Used" cell changes; the focus
  // stays on the button it is on, and Tab goes on to the next one.
  const used = page.locator('tr[data-image="default"] td').nth(1);
  const exportBase = page.getByRole('button', { name: 'Export base' });
  await exportBase.focus();
  const before = await used.textContent();
  await expect(used).not.toHaveText(before ?? '', { timeout: 60_000 });
  await expect(exportBase).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Resize base' })).toBeFocused();
});
