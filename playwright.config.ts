// End-to-end tests: the built bundle served by `vite preview`, driven in Chromium.

import { defineConfig } from '@playwright/test';
import { launchOptions } from './scripts/chromium.ts';
import { freePort } from './scripts/free-port.ts';

// Chosen once, by the runner; its worker processes inherit it with the environment.
process.env.WEBAIO_E2E_PORT ??= String(freePort());
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
