// A Linux machine's disk on the page: the image opened as v86's IDE disk, a BlockBackend on the
// main loop the machine gives it, and its wiring while the machine lives — the IDE front end's
// completions into its ring with one interrupt per pass, the requests the block layer failed,
// and the page cache written back when the page may be going away.

import { BlockBackend, type FrontEnd } from '../block/block-backend.ts';
import { resolveBlockConfig } from '../block/block-config.ts';
import { openImage, type OpenedImage } from '../block/block-open.ts';
import type { MainLoop } from '../machine/main-loop.ts';
import { BLOCK_OP_NAMES, SECTOR_SIZE, type BlockOp } from '../shared/block/block.ts';
import type { LinuxDiskInit } from '../shared/contracts.ts';
import { Errno, ErrnoError, errnoName } from '../shared/block/errno.ts';
import { ideRingPush } from '../shared/virtio/ide-ring.ts';
import { threadIdOfVcpu } from '../shared/pool/record-layout.ts';
import { raiseIrq } from '../shared/virtio/virtio-blk-complete.ts';
import {
  CACHE_OF_MODE,
  DMA_BYTES,
  IDE_SLOTS,
  VCPU,
  type LinuxConfig,
  type LinuxDiskMode,
} from './linux-config.ts';

/** A request the block layer failed, as the page reports it. */
export interface DiskFailure {
  t: number;
  message: string;
}

/** The IDE front end's request slots and completion ring, for the machine's control buffer. */
export const IDE_FRONT_END: FrontEnd = { nslots: IDE_SLOTS, maxIov: 1, ideRing: IDE_SLOTS };

/** Take the image v86's IDE disk will be: whole sectors, or it is released and refused. */
export async function openLinuxImage(cfg: LinuxConfig, mode: LinuxDiskMode): Promise<OpenedImage> {
  const { pool, aio, pageCacheBytes } = cfg;
  const config = resolveBlockConfig(cfg.image, {
    cache: CACHE_OF_MODE[mode],
    pool,
    aio,
    pageCacheBytes,
  });
  const opened = await openImage(config, 'linux');
  const { virtualSize } = opened.meta;
  if (virtualSize % SECTOR_SIZE !== 0 || virtualSize < SECTOR_SIZE) {
    opened.release();
    throw new ErrnoError(
      Errno.EINVAL,
      `image "${cfg.image}" is ${virtualSize} bytes: an IDE disk is whole 512-byte sectors`,
    );
  }
  return opened;
}

export class LinuxDisk {
  readonly backend: BlockBackend;
  /** What v86's worker attaches to the disk with. */
  readonly diskInit: LinuxDiskInit;
  /** Requests the block layer failed (the guest got an I/O error for each). */
  readonly failures: DiskFailure[] = [];
  private irqOwed = false;
  /** The machine's: called when a failure is noted. */
  private readonly changed: () => void;
  private readonly onHidden = () => {
    if (document.visibilityState === 'hidden') this.writeBackBestEffort();
  };
  private readonly onPageHide = () => this.writeBackBestEffort();

  /**
   * Attach `opened` (from openLinuxImage()) as v86's IDE disk in `mode` to the main loop the
   * machine gives it, whose control buffer was made with IDE_FRONT_END. The backend holds the
   * image from here on; it is not started.
   */
  constructor(opened: OpenedImage, loop: MainLoop, mode: LinuxDiskMode, changed: () => void) {
    const dma = new SharedArrayBuffer(DMA_BYTES);
    const disk = new BlockBackend(opened, loop, dma);
    this.backend = disk;
    this.diskInit = {
      kind: 'aio',
      ctl: loop.ctl.sab,
      dma,
      aio: disk.aioParams,
      virtualSize: disk.virtualSize,
      writeCache: mode !== 'writethrough',
    };
    this.changed = changed;
    disk.onComplete(threadIdOfVcpu(VCPU), (slot, ret) => this.complete(slot, ret));
    // One interrupt per completion pass, after all its completions are in the ring.
    disk.afterCompletions = () => {
      if (!this.irqOwed) return;
      this.irqOwed = false;
      raiseIrq(disk.ctl, VCPU);
    };
    // A page being hidden may be gone next: write the page cache back while we can.
    document.addEventListener('visibilitychange', this.onHidden);
    addEventListener('pagehide', this.onPageHide);
  }

  /** The machine is being destroyed: the page's events are no longer the disk's business. */
  detach(): void {
    document.removeEventListener('visibilitychange', this.onHidden);
    removeEventListener('pagehide', this.onPageHide);
  }

  /** Until every request the IDE front end submitted has completed. */
  async drained(): Promise<void> {
    const { i32, L } = this.backend.ctl;
    for (;;) {
      const n = Atomics.load(i32, L.ide.inflight);
      if (n === 0) return;
      const w = Atomics.waitAsync(i32, L.ide.inflight, n, 1000);
      if (w.async) await w.value;
    }
  }

  private writeBackBestEffort(): void {
    void this.backend.writeBack().catch((e: unknown) => {
      console.warn(`Linux machine: write-back on hiding the page failed: ${(e as Error).message}`);
    });
  }

  // ---- completions (the main loop's completion BH, under the BQL) ----

  private complete(slot: number, ret: number): void {
    const ctl = this.backend.ctl;
    if (ret < 0) {
      const { i32, f64, L } = ctl;
      const op = i32[L.slot.op.at(slot)] as BlockOp;
      const byteOffset = f64[L.slot.byteOffset.at(slot)];
      const nbytes = f64[L.slot.nbytes.at(slot)];
      const why = this.backend.backingFault();
      this.failures.push({
        t: Date.now(),
        message:
          `${BLOCK_OP_NAMES[op]} of ${nbytes} bytes at sector ${byteOffset / SECTOR_SIZE} ` +
          `failed with ${errnoName(ret)} (${ret})${why ? `: ${why}` : ''}`,
      });
      queueMicrotask(() => this.changed());
    }
    ideRingPush(ctl, slot, ret);
    this.irqOwed = true;
  }
}
