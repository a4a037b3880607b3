// A port nothing listens on right now, chosen by the OS: a fixed one may be held by a leftover
// server (or another run), and a server started with --strictPort would then refuse to start.
// Synchronous (a child node), so that playwright.config.ts can pick one as it loads.

import { execFileSync } from 'node:child_process';

export function freePort(): number {
  const listen =
    "const s = require('node:net').createServer();" +
    // A string, not a number: under FORCE_COLOR (Playwright's workers) console.log colours numbers.
    "s.listen(0, '127.0.0.1', () => { process.stdout.write(String(s.address().port)); s.close(); });";
  const out = execFileSync(process.execPath, ['-e', listen], { encoding: 'utf8' }).trim();
  const port = Number(out);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`free port probe printed "${out}"`);
  return port;
}
