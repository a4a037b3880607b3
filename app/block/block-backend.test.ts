// A BlockBackend on a main loop someone else made (a machine's, openBlock's): it attaches to that
// loop's buffer and bottom halves, refuses a buffer shaped for another image, and leaves the
// loop running when it closes. blkdebug's rules are armed in its words, or refused by name.

import { describe, expect, it, vi } from 'vitest';
import { blkdebugInjectError, type InjectErrorRule } from './blkdebug.ts';
import { BlockBackend, blockControlParams } from './block-backend.ts';
import { resolveBlockConfig } from './block-config.ts';
import type { OpenedImage } from './block-open.ts';
import { MainLoop } from '../machine/main-loop.ts';
import { bhSchedule } from '../shared/sync/bh.ts';
import { BlockOp } from '../shared/block/block.ts';
import { Errno } from '../shared/block/errno.ts';
import { createControl } from '../shared/layout/layout.ts';
import { BH } from '../shared/sync/loop-layout.ts';
import { MIN_CONTROL_PARAMS } from '../shared/layout/control-params.ts';

const until = (cond: () => boolean) =>
  vi.waitFor(() => expect(cond()).toBe(true), { timeout: 10_000, interval: 1 });

/** An image as openImage() would hand it over, without IndexedDB or a Web Lock. */
function opened(virtualSize: number, released: { n: number }): OpenedImage {
  return {
    config: resolveBlockConfig('disk', { aio: { pageCache: false } }),
    meta: { format: 'raw', virtualSize, chunkSize: 4096, created: 0, generation: 0 },
    release: () => void released.n++,
  };
}

describe('a block backend on a main loop it is given', () => {
  it('block-backend/attach: its BHs run on the given loop, close() releases the image and leaves the loop running', async () => {
    const released = { n: 0 };
    const image = opened(1 << 20, released);
    const ctl = createControl({
      ...blockControlParams(image, { nslots: 8, maxIov: 4 }),
      nvcpus: 2,
    });
    // The machine's loop, with a bottom half of its own.
    const loop = new MainLoop(ctl);
    let probes = 0;
    loop.bhNew(BH.probe, 'probe', () => void probes++);
    const disk = new BlockBackend(image, loop, new SharedArrayBuffer(4096));
    expect(disk.ctl).toBe(ctl);
    expect(disk.aioParams.ctl).toBe(ctl.sab);
    // The front end's 8 slots and the backend's own.
    expect(ctl.L.params.nslots).toBe(9);
    loop.start();
    await disk.start();
    expect(disk.stats().main_loop.map((bh) => bh.name)).toEqual([
      'new_thread_bh',
      'completion_bh',
      'probe',
    ]);
    await disk.close();
    expect(released.n).toBe(1);
    bhSchedule(ctl, BH.probe);
    await until(() => probes === 1);
    await loop.stop();
  });

  it('block-backend/foreign-loop: a buffer made for another image is refused, naming both', () => {
    const released = { n: 0 };
    const ctl = createControl({ ...MIN_CONTROL_PARAMS, nslots: 9, diskChunks: 16 });
    expect(
      () =>
        new BlockBackend(opened(1 << 20, released), new MainLoop(ctl), new SharedArrayBuffer(8)),
    ).toThrow(/16 chunks.*not made for image "disk" \(256 chunks/);
    expect(released.n).toBe(0);
  });
});

describe('blkdebug inject-error', () => {
  const ctl = createControl(MIN_CONTROL_PARAMS);
  const { i32, L } = ctl;
  const armed = () => ({
    ops: Atomics.load(i32, L.image.injectOps),
    errno: Atomics.load(i32, L.image.injectErrno),
    remaining: Atomics.load(i32, L.image.injectRemaining),
  });

  it('blkdebug/arm: ops as a mask, errno and count as given (EIO, 1 by default)', () => {
    blkdebugInjectError(ctl, { op: ['read', 'flush'], errno: 'ENOSPC', count: 3 });
    expect(armed()).toEqual({
      ops: (1 << BlockOp.READ) | (1 << BlockOp.FLUSH),
      errno: Errno.ENOSPC,
      remaining: 3,
    });
    blkdebugInjectError(ctl, { op: 'write' });
    expect(armed()).toEqual({ ops: 1 << BlockOp.WRITE, errno: Errno.EIO, remaining: 1 });
    blkdebugInjectError(ctl, { op: 'write', count: 0 });
    expect(armed().ops).toBe(0);
  });

  it('blkdebug/refuse: an unknown op, errno or count is EINVAL naming it, and arms nothing', () => {
    blkdebugInjectError(ctl, { op: 'read', count: 0 });
    const bad: [unknown, RegExp][] = [
      [{ op: 'writeback' }, /cannot inject into "writeback"/],
      [{ op: 'read', errno: 'EPERM' }, /cannot inject errno "EPERM"/],
      [{ op: 'read', count: -1 }, /inject count -1/],
    ];
    for (const [rule, message] of bad) {
      expect(() => blkdebugInjectError(ctl, rule as InjectErrorRule)).toThrow(message);
    }
    expect(armed().ops).toBe(0);
  });
});
