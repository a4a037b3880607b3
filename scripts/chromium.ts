// Which Chromium the tests and the benchmark drive: $WEBAIO_CHROMIUM if set, else the `chromium`
// on the PATH (Debian's package), else Playwright's own download where one is installed.

import { chromium } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Flags for a sandboxed CI machine with a closed network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

function onPath(name: string): string | undefined {
  try {
    const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    return found || undefined;
  } catch {
    return undefined;
  }
}

/** The executable to launch, or undefined to let Playwright use its own browser. */
export function chromiumExecutable(): string | undefined {
  const fromEnv = process.env.WEBAIO_CHROMIUM;
  if (fromEnv) {
    if (!existsSync(fromEnv)) {
      throw new Error(`WEBAIO_CHROMIUM=${fromEnv} does not exist`);
    }
    return fromEnv;
  }
  const found = onPath('chromium') ?? onPath('chromium-browser');
  if (found) return found;
  if (existsSync(chromium.executablePath())) return undefined;
  throw new Error(
    "No Chromium found: set WEBAIO_CHROMIUM to one, or install Debian's (apt-get install " +
      `chromium), or run bash .ci/run, which does. Playwright's own is not at ${chromium.executablePath()}.`,
  );
}

export const launchOptions = () => ({
  executablePath: chromiumExecutable(),
  args: CHROMIUM_ARGS,
});
