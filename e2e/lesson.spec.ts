// The first screen as a newcomer meets it: "Show me" answers with a sentence of measured numbers
// and the two trials' timelines, refines in the background, and the replay steps through the
// recorded trial from the keyboard. The figures in the sentence are the benchmark table's.

import { expect, test } from './fixtures.ts';
import type { Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import type { ChromeTrace } from '../app/shared/trace/chrome-trace.ts';
import { traceNestingViolations } from '../app/shared/trace/trace-nesting.ts';

const HEADLINE =
  /^Before the patch \(inline\), vCPU 0 held the big lock for ([\d.]+) ms while it created (\d+) pool workers itself; with the patch \(bh\), the main thread created them and vCPU 0 held the lock for ([\d.]+) ms — /;

/** The table's median BQL hold for a policy (the first figure of its kick-batch row), in ms. */
async function tableHold(page: Page, policy: string): Promise<number> {
  const row = page
    .getByRole('table', { name: 'cold-burst comparison' })
    .locator(`tbody tr.run[data-policy="${policy}"][data-kick="batch"]`);
  return Number(await row.locator('.median').first().textContent());
}

test('Show me answers on the first screen, refines, and its figures are the table’s', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/');
  const machine = page.getByRole('status', { name: 'machine status' });
  await expect(machine).toContainText('running');
  const showMe = page.getByRole('button', { name: 'Show me' });
  // The one action is on the first screen, and so are the words it uses.
  await expect(showMe).toBeInViewport();
  await expect(page.getByRole('complementary', { name: 'Words used here' })).toBeInViewport();
  await expect(
    page.getByRole('link', { name: '“posix-aio-compat: fix latency issues”' }),
  ).toHaveAttribute('href', /patchwork/);

  await showMe.click();
  // The demo machine is stopped while the trials measure.
  await expect(machine).toContainText('Stopped while "Show me" measures');
  const headline = page.locator('.headline');
  await expect(headline).toHaveText(HEADLINE, { timeout: 120_000 });
  await expect(headline).toContainText('One trial of each so far.');
  const first = HEADLINE.exec((await headline.textContent()) ?? '');
  expect(first).not.toBeNull();
  // The answer and its two timelines fit the first screen, side by side.
  await expect(headline).toBeInViewport();
  const sides = page.locator('.lesson-side');
  await expect(sides).toHaveCount(2);
  await expect(sides.getByRole('heading')).toHaveText([
    'Before the patch: inline',
    'With the patch: bh',
  ]);
  for (const side of await sides.all()) await expect(side).toBeInViewport({ ratio: 0.9 });
  const [a, b] = await sides.evaluateAll((els) => els.map((e) => e.getBoundingClientRect()));
  expect(Math.abs(a.top - b.top)).toBeLessThan(2);
  expect(b.left).toBeGreaterThan(a.right - 1);

  // Refining: stop after the second trial; the sentence then rests on two of each.
  await page.getByRole('button', { name: 'Stop refining' }).click();
  const status = page.locator('.lesson-status');
  await expect(status).toContainText('Done: 2 trials of each policy', { timeout: 120_000 });
  await expect(headline).toContainText('Medians of 2 trials each (inline ');
  const [, inlineMs, , bhMs] = HEADLINE.exec((await headline.textContent()) ?? '') ?? [];

  // The sentence's figures are the benchmark table's medians.
  await page.getByText('Benchmark details').click();
  const rows = page.getByRole('table', { name: 'cold-burst comparison' }).locator('tbody tr th');
  await expect(rows).toHaveText(['inline', 'inline/bh', 'bh']);
  expect(await tableHold(page, 'inline')).toBeCloseTo(Number(inlineMs), 0);
  // The sentence rounds to 0.1 ms: 1.45 in the table may read 1.4 or 1.5 there.
  expect(Math.abs((await tableHold(page, 'bh')) - Number(bhMs))).toBeLessThanOrEqual(0.05 + 1e-9);
  await expect(page.locator('tbody tr.run[data-policy="inline"] td.creators')).toContainText('v0');
  await expect(page.locator('tbody tr.run[data-policy="bh"] td.creators')).toHaveText('main 64');
  // Each target is told in words, met or not.
  const targets = page.getByRole('list', { name: 'targets' }).getByRole('listitem');
  await expect(targets.first()).toHaveText(/^(Met|Not met this time): /);
  // The old report's red capitals are gone (case-sensitive: "Not met this time" is the new wording).
  await expect(page.getByText(/NOT MET/)).toHaveCount(0);

  // The demo machine runs again, and the lesson left no image behind.
  await expect(machine).toContainText('Running.');
  const left = await page.evaluate(() => window.webaio.images.list());
  expect(left.map((i) => i.name).filter((n) => n.startsWith('lesson-'))).toEqual([]);
});

test('the replay steps through the recorded trial from the keyboard', async ({ app }) => {
  test.setTimeout(180_000);
  await app.getByRole('button', { name: 'Show me' }).click();
  await app.getByRole('button', { name: 'Stop refining' }).click({ timeout: 120_000 });
  const replay = app.getByRole('region', { name: 'Step through one trial' });
  await expect(replay).toBeVisible();
  const caption = replay.locator('.caption');
  const position = replay.getByLabel('replay position');
  await expect(caption).toContainText("vCPU 0 rings the disk's doorbell");
  await expect(position).toContainText('Event 1 of ');

  // Keyboard only: focus Step, press Enter and Space; then Step back.
  const step = replay.getByRole('button', { name: 'Step', exact: true });
  await step.focus();
  await app.keyboard.press('Enter');
  await expect(position).toContainText('Event 2 of ');
  await app.keyboard.press('Space');
  await expect(position).toContainText('Event 3 of ');
  await expect(step).toBeFocused();
  await app.keyboard.press('Shift+Tab');
  await app.keyboard.press('Shift+Tab');
  await expect(replay.getByRole('button', { name: 'Step back' })).toBeFocused();
  await app.keyboard.press('Enter');
  await expect(position).toContainText('Event 2 of ');

  // Under inline, the vCPU creates the workers inside its exit; the replay says so.
  await app.keyboard.press('Tab');
  await expect(replay.getByRole('button', { name: 'Play' })).toBeFocused();
  await replay.getByLabel('Speed').selectOption('4');
  await replay.getByRole('button', { name: 'Play' }).press('Enter');
  await expect(caption).toContainText(/vCPU 0 creates aio-\d+ itself, still holding the lock/);
  await replay.getByRole('button', { name: 'Pause' }).press('Enter');
  await expect(replay.getByRole('button', { name: 'Play' })).toBeFocused();

  // Under bh, the main thread's bottom half creates them, and each newborn asks for the next.
  await replay.getByRole('combobox', { name: /^Trial/ }).selectOption('bh');
  await expect(position).toContainText('Event 1 of ');
  const seen: string[] = [];
  for (let i = 0; i < 12; i++) {
    seen.push((await caption.textContent()) ?? '');
    await step.press('Enter');
  }
  expect(seen.join('\n')).toContain('The main thread runs new_thread_bh and creates one worker');
  expect(seen.join('\n')).toMatch(/asks the main thread/);

  // The trial's two traces in one file that Perfetto draws as recorded: every slice nested.
  const download = app.waitForEvent('download');
  await replay.getByRole('button', { name: 'Download trace' }).click();
  const path = await (await download).path();
  const trace = JSON.parse(readFileSync(path, 'utf8')) as ChromeTrace;
  const processes = trace.traceEvents.filter((e) => e.name === 'process_name');
  expect(processes.map((p) => p.args?.name)).toEqual([
    'inline, kick batch, trial 1',
    'bh, kick batch, trial 1',
  ]);
  expect(traceNestingViolations(trace)).toEqual([]);

  // The functions that make the difference, from this build.
  await replay.getByText('The functions that make the difference').click();
  for (const name of ['spawnThreadLocked', 'spawnThreadBh', 'workerStartedLocked']) {
    await expect(replay.locator('pre code', { hasText: `${name}(` }).first()).toBeVisible();
  }
  await expect(replay).not.toContainText('not found');
});
