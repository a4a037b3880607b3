// The `linux` scenario (page side): Linux in v86 on a WebAIO disk against the same PC with its
// disk an ArrayBuffer (v86's default), boots interleaved by trial, each on a fresh blank disk:
// the first boot (the guest formats it), a guest dd written with conv=fsync and read back after
// dropping the guest's caches, a reboot on the formatted disk; and the main thread's longest
// task while the guest boots — v86 on its worker as the product runs it, through the page's
// Linux view (its terminal and figures live), and, once, v86 on the main thread itself.

import { nowMs } from '../../app/shared/sync/clock.ts';
import { deadline } from '../../app/shared/sync/deadline.ts';
import { createImage } from '../../app/images/images.ts';
// window.webaio's type: the Linux view's machine is window.webaio.linux.
import type {} from '../../app/webaio.ts';
import { guestFiles } from '../../app/linux/guest-files.ts';
import { DEFAULT_LINUX_DISK_MODE } from '../../app/linux/linux-config.ts';
import { LinuxMachine } from '../../app/linux/linux-machine.ts';
import {
  checkLinuxBenchParams,
  summarizeLinux,
  type LinuxBenchParams,
  type LinuxBenchResult,
  type LinuxMainThreadRun,
  type LinuxRun,
  type LinuxVariant,
} from '../shared/linux-bench-params.ts';
import { progress } from '../shared/progress.ts';
import { deleteIfPresent, deleteLater, freshImageName, sweepImages } from './bench-images.ts';
import { bootV86OnMainThread } from './linux-main-probe.ts';
import { MainThreadWatch } from './main-thread-watch.ts';

const PREFIX = 'bench-linux-';

export async function runLinuxBench(
  input: Partial<LinuxBenchParams> = {},
): Promise<LinuxBenchResult> {
  const params = checkLinuxBenchParams(input);
  const startedAt = new Date().toISOString();
  const t0 = nowMs();
  const { manifest } = await guestFiles();
  await sweepImages(PREFIX);
  const runs: LinuxRun[] = [];
  for (let trial = 1; trial <= params.boots; trial++) {
    for (const variant of params.variants) {
      progress(`linux: trial ${trial}/${params.boots}, ${variant}`);
      runs.push(await linuxRun(params, variant, trial));
    }
  }
  const mainThreadRuns: LinuxMainThreadRun[] = [];
  if (params.panels) {
    progress('linux: a boot through the page\u2019s Linux view');
    mainThreadRuns.push(await viewRun(params));
  }
  if (params.mainThreadProbe) {
    progress('linux: a boot with v86 on the main thread (in-memory disk)');
    mainThreadRuns.push(await mainThreadRun(params));
  }
  return {
    scenario: 'linux',
    params,
    startedAt,
    elapsedMs: nowMs() - t0,
    kernelRelease: manifest.kernelRelease,
    defaultMode: DEFAULT_LINUX_DISK_MODE,
    runs,
    mainThreadRuns,
    summaries: summarizeLinux(runs),
  };
}

/** Power on to the guest's disk mounted. */
async function untilReady(m: LinuxMachine, p: LinuxBenchParams): Promise<void> {
  const state = await m.booted({ timeoutMs: p.timeoutMs });
  if (state !== 'ready') throw new Error(`the guest came up "${state}", not ready`);
}

/** Run a guest command; ms it took, seen from the page (the typed line's echo included). */
async function timed(m: LinuxMachine, command: string, p: LinuxBenchParams): Promise<number> {
  const t0 = nowMs();
  const r = await m.console.run(command, { timeoutMs: p.timeoutMs });
  if (r.status !== 0) throw new Error(`\`${command}\` exited with ${r.status}: ${r.output}`);
  return nowMs() - t0;
}

async function linuxRun(
  p: LinuxBenchParams,
  variant: LinuxVariant,
  trial: number,
): Promise<LinuxRun> {
  const image = freshImageName(PREFIX, variant);
  const run: LinuxRun = {
    variant,
    trial,
    firstBootMs: NaN,
    bootMs: NaN,
    writeMbPerS: NaN,
    readMbPerS: NaN,
    mainThread: { ...emptyReport },
    flushes: 0,
  };
  let m: LinuxMachine | undefined;
  try {
    if (variant !== 'memory') await createImage(image, p.imageBytes);
    const watch = new MainThreadWatch();
    watch.start();
    const t0 = nowMs();
    m =
      variant === 'memory'
        ? await LinuxMachine.createInMemory(p.imageBytes)
        : await LinuxMachine.create({ image, mode: variant });
    await untilReady(m, p);
    run.firstBootMs = nowMs() - t0;
    run.mainThread = watch.stop();
    const bytes = p.ddMiB * (1 << 20);
    const wMs = await timed(m, `dd if=/dev/zero of=/mnt/dd bs=1M count=${p.ddMiB} conv=fsync`, p);
    run.writeMbPerS = bytes / 1e6 / (wMs / 1000);
    await timed(m, 'sync; echo 3 > /proc/sys/vm/drop_caches', p);
    const rMs = await timed(m, 'dd if=/mnt/dd of=/dev/null bs=1M', p);
    run.readMbPerS = bytes / 1e6 / (rMs / 1000);
    // Reboot on the formatted disk, unmounted cleanly first (the shell sits in /mnt).
    await timed(m, 'cd / && umount /mnt', p);
    const t1 = nowMs();
    await m.reset();
    await untilReady(m, p);
    run.bootMs = nowMs() - t1;
    run.flushes = m.stats()?.flush_operations ?? 0;
    await deadline(m.destroy(), p.timeoutMs, 'destroy()');
    m = undefined;
    if (variant !== 'memory') await deleteIfPresent(image);
  } catch (e) {
    run.error = e instanceof Error ? e.message : String(e);
    if (m) deleteLater(image, m.destroy());
  }
  progress(
    `linux: ${variant} #${trial}: ` +
      (run.error
        ? `failed: ${run.error}`
        : `first boot ${(run.firstBootMs / 1000).toFixed(1)} s, boot ${(run.bootMs / 1000).toFixed(1)} s, ` +
          `dd write ${run.writeMbPerS.toFixed(2)} MB/s, read ${run.readMbPerS.toFixed(2)} MB/s, ` +
          `longest task ${run.mainThread.longestTaskMs.toFixed(0)} ms`),
  );
  return run;
}

/** "Boot Linux" in the Disks panel, as a person does: the Linux view shows the guest booting. */
async function viewRun(p: LinuxBenchParams): Promise<LinuxMainThreadRun> {
  const image = freshImageName(PREFIX, 'view');
  const out: LinuxMainThreadRun = {
    how: 'view',
    bootMs: NaN,
    mainThread: { ...emptyReport },
  };
  try {
    await createImage(image, p.imageBytes);
    const button = await until(
      () =>
        document.querySelector<HTMLButtonElement>(`button[aria-label="Boot Linux ${image}"]`) ??
        undefined,
      10_000,
      `the Disks panel's "Boot Linux ${image}" button`,
    );
    const watch = new MainThreadWatch();
    watch.start();
    const t0 = nowMs();
    button.click();
    const m = await until(
      () => (window.webaio.linux?.image === image ? window.webaio.linux : undefined),
      p.timeoutMs,
      `the Linux view's machine on "${image}"`,
    );
    await untilReady(m, p);
    out.bootMs = nowMs() - t0;
    out.mainThread = watch.stop();
    const stop = await until(
      () =>
        [...document.querySelectorAll<HTMLButtonElement>('section.linux button')].find(
          (b) => b.textContent === 'Shut down' && !b.disabled,
        ),
      10_000,
      'the Linux view\u2019s Shut down button',
    );
    stop.click();
    await until(
      () => (window.webaio.linux === undefined ? true : undefined),
      p.timeoutMs,
      'shut down',
    );
    await deleteIfPresent(image);
  } catch (e) {
    out.error = e instanceof Error ? e.message : String(e);
  }
  return out;
}

/** v86 on the page's main thread (a probe, as a PC emulator page usually runs it). */
async function mainThreadRun(p: LinuxBenchParams): Promise<LinuxMainThreadRun> {
  const watch = new MainThreadWatch();
  watch.start();
  const t0 = nowMs();
  try {
    await bootV86OnMainThread(p.imageBytes, p.timeoutMs);
    return { how: 'main-thread', bootMs: nowMs() - t0, mainThread: watch.stop() };
  } catch (e) {
    return {
      how: 'main-thread',
      bootMs: NaN,
      mainThread: watch.stop(),
      error: e instanceof Error ? e.message : String(e),
    };
  }
}

const emptyReport = {
  longTaskSupported: false,
  longTasks: 0,
  longestTaskMs: 0,
  heartbeatMaxGapMs: 0,
  heartbeats: 0,
  windowMs: 0,
};

/** Poll `get` every 50 ms until it returns something, or fail naming `what`. */
async function until<T>(get: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const t0 = nowMs();
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (nowMs() - t0 > timeoutMs) throw new Error(`${what}: not there after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
