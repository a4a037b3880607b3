// `npm start` as a person runs it, for the e2e tests and the lesson's figures: spawned on a free
// port in a process group of its own, read until it prints the URL to open, and stopped with
// SIGTERM to npm — then every process of its group must be gone. The URL is the one this child printed, so a test
// never talks to a server it did not start.

import { execFileSync, spawn } from 'node:child_process';
import { freePort } from './free-port.ts';

/** How long the processes of `npm start` may take to exit after SIGTERM before we SIGKILL them. */
const STOP_MS = 20_000;
const OPEN_LINE = /WebAIO: open (http\S+)/;

/** The processes of group `pgid`, as "pid command" lines ([] once they are all gone). */
function groupMembers(pgid: number): string[] {
  try {
    const out = execFileSync('pgrep', ['-a', '-g', String(pgid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.split('\n').filter(Boolean);
  } catch (e) {
    // pgrep exits 1 when nothing matches; anything else (no pgrep) must not pass for "all gone".
    if ((e as { status?: number }).status === 1) return [];
    throw e;
  }
}

async function untilGroupGone(pgid: number, timeoutMs: number): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const left = groupMembers(pgid);
    if (left.length === 0 || Date.now() > end) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface NpmStart {
  /** The URL this `npm start` prints once its first build is served; rejects if it exits first. */
  readonly url: Promise<string>;
  /** Everything it printed so far. */
  printed(): string;
  /**
   * SIGTERM to npm, as a supervisor stops it, then wait until its whole process group is gone.
   * Resolves with the processes that outlived SIGTERM by STOP_MS (then SIGKILLed): [] is a
   * clean stop. Safe to call again (the test's own check, then the fixture's teardown).
   */
  stop(): Promise<string[]>;
}

/** Run `npm start` in `cwd`. The caller owns it from here: stop() it on every path, the wait
 *  for its URL included (a test timing out there must still not leave it running). */
export function npmStart(cwd: string): NpmStart {
  const port = freePort();
  const child = spawn('npm', ['start'], {
    cwd,
    detached: true, // a process group of its own: stop() sees everything it started
    // stdin stays open: Vite's server stops when its stdin ends.
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', NO_COLOR: '1' },
  });
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`npm start did not spawn in ${cwd}`);
  let output = '';
  let survivors: Promise<string[]> | undefined;
  const stop = (): Promise<string[]> =>
    (survivors ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const left = await untilGroupGone(pgid, STOP_MS);
      if (left.length > 0) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // gone between the look and the kill
        }
        await untilGroupGone(pgid, STOP_MS);
      }
      return left;
    })());
  const url = new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const m = OPEN_LINE.exec(output);
      if (m?.[1]) resolve(m[1]);
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `npm start (port ${port}) exited with code ${code}, signal ${signal} before ` +
            `printing its URL; it printed:\n${output}`,
        ),
      ),
    );
  });
  url.catch(() => undefined); // the caller's await sees the failure; nothing else must
  return { url, printed: () => output, stop };
}
