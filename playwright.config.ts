// End-to-end tests: the built bundle served by `vite preview`, driven in Chromium.

import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { launchOptions } from './scripts/chromium.ts';

/** A port nothing listens on right now, chosen by the OS: a fixed one may be held by a leftover
 *  server (or another run), and `vite preview --strictPort` would then refuse to start. */
function freePort(): string {
  const listen =
    "const s = require('node:net').createServer();" +
    "s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });";
  return execFileSync(process.execPath, ['-e', listen], { encoding: 'utf8' }).trim();
}

// Chosen once, by the runner; its worker processes inherit it with the environment.
process.env.WEBAIO_E2E_PORT ??= freePort();
const port = Number(process.env.WEBAIO_E2E_PORT);

export default defineConfig({
  // The product's tests in e2e/, the benchmark's own spec in bench/.
  testDir: '.',
  testMatch: ['e2e/**/*.spec.ts', 'bench/**/*.spec.ts'],
  fullyParallel: false,
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [['list'], ['github']] : 'list',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: launchOptions(),
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
